//! `serve`: a tiny static file server for developing and testing the page.
//!
//! ```text
//! cargo run --release --bin serve -- [--port N] [--root DIR] [--host 127.0.0.1]
//! ```
//!
//! It answers `GET` and `HEAD` for files under the root directory (`/` and
//! directories map to their `index.html`), and nothing else. Every response
//! carries the cross-origin isolation headers (`Cross-Origin-Opener-Policy:
//! same-origin`, `Cross-Origin-Embedder-Policy: require-corp`) so the page may
//! use `SharedArrayBuffer`, plus `Cache-Control: no-cache` so a rebuilt
//! `.wasm` is always picked up. One thread per connection, one request per
//! connection (`Connection: close`): simple, and plenty for one browser.
//!
//! Only the standard library is used, so the server builds wherever the crate
//! does. It binds `127.0.0.1` by default; `--port 0` picks a free port. Once
//! listening it prints `Serving http://HOST:PORT/` on stdout, which scripts
//! wait for.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// Largest request head (request line plus headers) we accept, in bytes.
const MAX_HEAD: usize = 16 * 1024;

/// Command-line options.
#[derive(Debug)]
struct Options {
    host: String,
    port: u16,
    root: PathBuf,
}

/// Parses `--port N`, `--root DIR` and `--host H` (also as `--flag=value`).
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut opts = Options {
        host: "127.0.0.1".to_string(),
        port: 8000,
        root: PathBuf::from("."),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg, None),
        };
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = match inline.or_else(|| args.next()) {
            Some(v) => v,
            None => return Err(format!("{flag} needs a value")),
        };
        match flag.as_str() {
            "--port" => opts.port = value.parse().map_err(|_| format!("bad port: {value}"))?,
            "--root" => opts.root = PathBuf::from(value),
            "--host" => opts.host = value,
            _ => return Err(format!("unknown option: {flag}")),
        }
    }
    Ok(opts)
}

/// The `Content-Type` for a file, chosen by its extension.
fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "csv" => "text/csv; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Decodes `%XX` escapes. `None` if an escape is malformed, the result is not
/// UTF-8, or it contains a NUL byte.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let decoded = String::from_utf8(out).ok()?;
    (!decoded.contains('\0')).then_some(decoded)
}

/// Maps a request target (`/www/main.js?x=1`) to a path relative to the root.
///
/// Returns `None` for anything that could escape the root: `..` segments,
/// absolute or drive-prefixed segments, backslashes, bad escapes. The empty
/// path stands for the root itself.
fn relative_path(target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return None;
    }
    let decoded = percent_decode(path)?;
    if decoded.contains('\\') {
        return None;
    }
    let mut rel = PathBuf::new();
    for part in decoded.split('/').filter(|p| !p.is_empty() && *p != ".") {
        // Every remaining segment must be a plain file or directory name.
        let mut comps = Path::new(part).components();
        match (comps.next(), comps.next()) {
            (Some(Component::Normal(name)), None) => rel.push(name),
            _ => return None,
        }
    }
    Some(rel)
}

/// What to send back for one request.
struct Reply {
    status: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
    location: Option<String>,
}

impl Reply {
    /// A short plain-text reply, used for errors and redirects.
    fn text(status: &'static str) -> Self {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: format!("{status}\n").into_bytes(),
            location: None,
        }
    }
}

/// Decides the reply for `method target` against the canonical `root`.
fn respond(root: &Path, method: &str, target: &str) -> Reply {
    if method != "GET" && method != "HEAD" {
        return Reply::text("405 Method Not Allowed");
    }
    let Some(rel) = relative_path(target) else {
        return Reply::text("403 Forbidden");
    };
    let mut file = root.join(&rel);
    if file.is_dir() {
        let path = target.split(['?', '#']).next().unwrap_or("/");
        if !path.ends_with('/') {
            // Redirect so relative URLs inside index.html resolve correctly.
            let mut reply = Reply::text("301 Moved Permanently");
            reply.location = Some(format!("{path}/"));
            return reply;
        }
        file.push("index.html");
    }
    // Canonicalising resolves symlinks, so a link can't point outside root.
    match file.canonicalize() {
        Ok(real) if real.starts_with(root) && real.is_file() => match std::fs::read(&real) {
            Ok(body) => Reply {
                status: "200 OK",
                content_type: content_type(&real),
                body,
                location: None,
            },
            Err(_) => Reply::text("500 Internal Server Error"),
        },
        Ok(real) if !real.starts_with(root) => Reply::text("403 Forbidden"),
        _ => Reply::text("404 Not Found"),
    }
}

/// Reads one request from `stream`, answers it, and closes the connection.
fn handle(root: &Path, stream: TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the headers: we need none of them, but must not leave them unread.
    let mut head_len = request_line.len();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        head_len += n;
        if n == 0 || line == "\r\n" || line == "\n" || head_len > MAX_HEAD {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let reply = if head_len > MAX_HEAD || target.is_empty() {
        Reply::text("400 Bad Request")
    } else {
        respond(root, method, target)
    };
    eprintln!("{method} {target} -> {}", reply.status);

    let mut head = format!(
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\n\
         Cross-Origin-Opener-Policy: same-origin\r\n\
         Cross-Origin-Embedder-Policy: require-corp\r\n\
         Cross-Origin-Resource-Policy: same-origin\r\n\
         X-Content-Type-Options: nosniff\r\nConnection: close\r\n",
        reply.status,
        reply.content_type,
        reply.body.len()
    );
    if let Some(location) = &reply.location {
        head.push_str(&format!("Location: {location}\r\n"));
    }
    if reply.status.starts_with("405") {
        head.push_str("Allow: GET, HEAD\r\n");
    }
    head.push_str("\r\n");
    let mut out = stream;
    out.write_all(head.as_bytes())?;
    if method != "HEAD" {
        out.write_all(&reply.body)?;
    }
    out.flush()
}

fn main() {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(opts) => opts,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("serve: {msg}");
            }
            eprintln!("usage: serve [--port N] [--root DIR] [--host 127.0.0.1]");
            std::process::exit(if msg.is_empty() { 0 } else { 2 });
        }
    };
    let root = match opts.root.canonicalize() {
        Ok(root) if root.is_dir() => root,
        _ => {
            eprintln!("serve: root {} is not a directory", opts.root.display());
            std::process::exit(2);
        }
    };
    let listener = match TcpListener::bind((opts.host.as_str(), opts.port)) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("serve: cannot bind {}:{}: {err}", opts.host, opts.port);
            std::process::exit(1);
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(opts.port);
    println!("Serving http://{}:{port}/", opts.host);
    // Scripts wait for that line, and stdout may be a pipe: flush now.
    let _ = io::stdout().flush();

    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let root = root.clone();
                std::thread::spawn(move || {
                    if let Err(err) = handle(&root, stream) {
                        eprintln!("serve: connection error: {err}");
                    }
                });
            }
            Err(err) => eprintln!("serve: accept failed: {err}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_targets_map_inside_the_root() {
        assert_eq!(relative_path("/"), Some(PathBuf::new()));
        assert_eq!(
            relative_path("/www/pkg/grokking_bg.wasm?v=2#x"),
            Some(PathBuf::from("www/pkg/grokking_bg.wasm"))
        );
        assert_eq!(
            relative_path("/a%20b/./c.txt"),
            Some(PathBuf::from("a b/c.txt"))
        );
        assert_eq!(
            relative_path("//www//main.js"),
            Some(PathBuf::from("www/main.js"))
        );
    }

    #[test]
    fn traversal_and_malformed_targets_are_rejected() {
        for bad in [
            "/../etc/passwd",
            "/www/../../x",
            "/%2e%2e/secret",
            "/a%2f..%2f..%2fb",
            "/..\\x",
            "/bad%zz",
            "/nul%00",
            "relative.txt",
            "http://example.com/",
        ] {
            assert_eq!(relative_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn mime_types_follow_extensions() {
        assert_eq!(content_type(Path::new("x.wasm")), "application/wasm");
        assert_eq!(
            content_type(Path::new("index.HTML")),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("m.mjs")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("d.svg")), "image/svg+xml");
        assert_eq!(content_type(Path::new("d.csv")), "text/csv; charset=utf-8");
        assert_eq!(content_type(Path::new("noext")), "application/octet-stream");
    }

    #[test]
    fn respond_serves_files_index_and_errors() {
        let root = std::env::temp_dir().join(format!("grokking-serve-test-{}", std::process::id()));
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("index.html"), "<p>hi</p>").unwrap();
        std::fs::write(root.join("sub/index.html"), "sub").unwrap();
        let root = root.canonicalize().unwrap();

        let index = respond(&root, "GET", "/");
        assert_eq!(
            (index.status, index.body.as_slice()),
            ("200 OK", &b"<p>hi</p>"[..])
        );
        assert_eq!(index.content_type, "text/html; charset=utf-8");
        assert_eq!(respond(&root, "HEAD", "/sub/").body, b"sub");
        let redirect = respond(&root, "GET", "/sub?q");
        assert_eq!(redirect.status, "301 Moved Permanently");
        assert_eq!(redirect.location.as_deref(), Some("/sub/"));
        assert_eq!(respond(&root, "GET", "/missing.js").status, "404 Not Found");
        assert_eq!(respond(&root, "GET", "/../x").status, "403 Forbidden");
        assert_eq!(respond(&root, "POST", "/").status, "405 Method Not Allowed");

        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn args_parse_with_defaults() {
        let opts = parse_args(Vec::new()).unwrap();
        assert_eq!((opts.host.as_str(), opts.port), ("127.0.0.1", 8000));
        let args = ["--port", "0", "--root=www"].map(String::from);
        let opts = parse_args(args).unwrap();
        assert_eq!((opts.port, opts.root), (0, PathBuf::from("www")));
        assert!(parse_args(["--port".to_string()]).is_err());
        assert!(parse_args(["--bogus", "1"].map(String::from)).is_err());
    }
}
