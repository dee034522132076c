//! `serve`: a small static file server for developing and testing the built page.
//!
//! ```text
//! cargo run --release --bin serve -- [--port N] [--root DIR] [--host 127.0.0.1] [--no-isolation]
//! ```
//!
//! It answers `GET` and `HEAD` for the files under its root (`scripts/build` writes the
//! site to `dist/`; `/` and `dir/` map to their `index.html`) and gives nothing else away:
//!
//! - **Only the root.** Targets with `..`, backslashes or bad escapes (also percent-encoded,
//!   `/%2e%2e/`) are refused (400); dotfiles and dot-directories (`/.git/config`, `/.env`)
//!   and symlinks that lead outside the root or to a dotfile answer 404, as does a
//!   directory without its trailing slash.
//! - **No redirects at all.** A redirect built from the request target is an open redirect
//!   (`GET //evil.example` → `Location: //evil.example/`), and the page never needs one.
//! - **Only its own name.** The `Host` header must be this server's loopback address and
//!   port (`127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT`); any other answers 421, a
//!   missing one 400. Otherwise a web page could rebind its own domain name to 127.0.0.1
//!   (DNS rebinding) and read what this server serves.
//! - **Bounded clients.** The request line and headers are read incrementally, at most
//!   16 KiB (more: 431) within 10 s of connecting (later: 408); at most 64 connections
//!   are open at once (more: 503 at once). So a client that sends one byte a second
//!   (slowloris), or many idle connections, cannot hold the server's threads for long.
//!
//! Every response carries the cross-origin isolation headers (`Cross-Origin-Opener-Policy:
//! same-origin`, `Cross-Origin-Embedder-Policy: require-corp`), which the page needs for
//! `SharedArrayBuffer` and so for its second training worker; `--no-isolation` leaves them
//! out, to try the page as a plain static host (GitHub Pages, a school's server) serves it.
//! `Cache-Control: no-cache` makes the browser revalidate, so a rebuilt page is picked up.
//! One thread per connection, one request per connection (`Connection: close`): simple,
//! and plenty for one browser.
//!
//! Only the standard library is used, so the server builds wherever the crate does. It
//! binds a loopback address only (127.0.0.1 by default; `::1`); to publish the page, copy
//! `dist/` to a static host (README, "Deploying"). `--port 0` picks a free port. Once
//! listening it prints `Serving http://HOST:PORT/` on stdout, which scripts wait for.

use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest request head (request line, headers and the blank line after them), in bytes.
/// A browser's requests for this page are well under 2 KiB.
const MAX_HEAD: usize = 16 * 1024;

/// Most connections handled at once; one more is refused with 503 on the spot.
const MAX_CONNECTIONS: usize = 64;

/// Time from accepting a connection to having its whole request head. A deadline for the
/// whole head, not a timeout per read: a client sending a byte a second never times out
/// a single read.
const HEAD_DEADLINE: Duration = Duration::from_secs(10);

/// Time allowed for sending a response, from the moment its head was read: bounds a
/// client that reads a large file very slowly.
const RESPONSE_DEADLINE: Duration = Duration::from_secs(60);

/// After an error reply to a client that may still be sending (a head too large), how
/// long and how much more we read and discard before closing. Closing a socket with
/// unread input makes the kernel send a reset, which can destroy the reply before the
/// client has read it.
const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 256 * 1024;

/// Each connection's thread needs little stack: a small head buffer and a file chunk.
const THREAD_STACK: usize = 256 * 1024;

/// Command-line options.
#[derive(Debug)]
struct Options {
    host: IpAddr,
    port: u16,
    root: PathBuf,
    /// Send the cross-origin isolation headers (the default; `--no-isolation` turns off).
    isolation: bool,
}

const USAGE: &str = "usage: serve [--port N] [--root DIR] [--host 127.0.0.1|::1] [--no-isolation]";

/// Parses the loopback address to bind: `127.0.0.1`, `localhost`, `::1` or `[::1]`.
/// Anything else is refused: this server is for the machine it runs on.
fn parse_host(value: &str) -> Result<IpAddr, String> {
    let ip = match value {
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        _ => value
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| format!("bad host: {value}"))?,
    };
    if ip.is_loopback() {
        Ok(ip)
    } else {
        Err(format!(
            "--host {value}: serve binds a loopback address only (127.0.0.1 or ::1); \
             to publish the page, copy dist/ to a static host (README, \"Deploying\")"
        ))
    }
}

/// Parses `--port N`, `--root DIR`, `--host H` (also as `--flag=value`) and `--no-isolation`.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut opts = Options {
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 8000,
        root: PathBuf::from("."),
        isolation: true,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg, None),
        };
        match flag.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--no-isolation" if inline.is_none() => {
                opts.isolation = false;
                continue;
            }
            _ => {}
        }
        let value = match inline.or_else(|| args.next()) {
            Some(v) => v,
            None => return Err(format!("{flag} needs a value")),
        };
        match flag.as_str() {
            "--port" => opts.port = value.parse().map_err(|_| format!("bad port: {value}"))?,
            "--root" => opts.root = PathBuf::from(value),
            "--host" => opts.host = parse_host(&value)?,
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
/// Returns `None` for anything that could escape the root: `..` segments (also
/// percent-encoded), absolute or drive-prefixed segments, backslashes, bad escapes, and
/// targets not starting with `/` (such as the absolute form `http://host/`). Empty and
/// `.` segments are dropped; the empty path stands for the root itself.
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

/// Whether any component of a relative path is hidden (`.git`, `.env`, …).
fn has_dot_component(rel: &Path) -> bool {
    rel.components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
}

/// What a request resolved to.
#[derive(Debug)]
enum Resolved {
    /// A regular file inside the root, by its canonical path.
    File(PathBuf),
    /// An error status, such as `"404 Not Found"`.
    Status(&'static str),
}

/// Resolves a request target against the canonical `root`: the file to send, or why not.
fn resolve(root: &Path, target: &str) -> Resolved {
    let Some(rel) = relative_path(target) else {
        return Resolved::Status("400 Bad Request");
    };
    // 404 rather than 403 for hidden files: say nothing about whether they exist.
    if has_dot_component(&rel) {
        return Resolved::Status("404 Not Found");
    }
    let mut file = root.join(&rel);
    let path = target.split(['?', '#']).next().unwrap_or("/");
    if file.is_dir() {
        // No redirect to `dir/`: relative URLs inside its index.html would resolve wrongly
        // without the slash, and a redirect is one more thing to get wrong.
        if !path.ends_with('/') {
            return Resolved::Status("404 Not Found");
        }
        file.push("index.html");
    } else if path.ends_with('/') && !rel.as_os_str().is_empty() {
        return Resolved::Status("404 Not Found");
    }
    // Canonicalising resolves symlinks: a link may point anywhere inside the root except
    // at a hidden file, and nowhere outside it.
    match file.canonicalize() {
        Ok(real) => match real.strip_prefix(root) {
            Ok(inside) if !has_dot_component(inside) && real.is_file() => Resolved::File(real),
            _ => Resolved::Status("404 Not Found"),
        },
        Err(_) => Resolved::Status("404 Not Found"),
    }
}

/// The parts of a request head this server uses.
#[derive(Debug, PartialEq)]
struct Request {
    method: String,
    target: String,
    /// The `Host` header's value, if there was exactly one.
    host: Option<String>,
}

/// Parses a request head (without its final blank line). `None` if it is malformed:
/// a request line other than `METHOD TARGET HTTP/1.x`, a header line without a colon or
/// with a folded continuation, a non-UTF-8 byte, or more than one `Host` header.
fn parse_head(head: &[u8]) -> Option<Request> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let request_line = lines.next()?;
    let mut parts = request_line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || method.is_empty()
        || !method.bytes().all(|b| b.is_ascii_uppercase())
        || target.is_empty()
        || !target.bytes().all(|b| b.is_ascii_graphic())
        || !matches!(version, "HTTP/1.0" | "HTTP/1.1")
    {
        return None;
    }
    let mut host = None;
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        let is_token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if name.is_empty() || !name.bytes().all(is_token) {
            return None; // also catches obsolete line folding (a line starting with a space)
        }
        if name.eq_ignore_ascii_case("host") {
            if host.is_some() {
                return None;
            }
            host = Some(value.trim_matches([' ', '\t']).to_string());
        }
    }
    Some(Request {
        method: method.to_string(),
        target: target.to_string(),
        host,
    })
}

/// Whether a `Host` header names this server: a loopback name and our port. Browsers
/// leave out the port only when it is 80.
fn host_allowed(host: &str, port: u16) -> bool {
    let host = host.to_ascii_lowercase();
    let (name, host_port) = match host.rsplit_once(':') {
        Some((name, p)) if !name.is_empty() && !p.contains(']') => (name, p.parse::<u16>().ok()),
        _ => (host.as_str(), Some(80)),
    };
    host_port == Some(port) && matches!(name, "127.0.0.1" | "localhost" | "[::1]")
}

/// Why reading a request head stopped without a head.
#[derive(Debug)]
enum HeadError {
    /// More than `MAX_HEAD` bytes without the blank line that ends the head.
    TooLarge,
    /// The head did not arrive before the deadline.
    Timeout,
    /// The client closed the connection (or it failed) first.
    Gone,
}

/// Position just past the blank line ending a head (`\r\n\r\n`, or a bare `\n\n`).
fn head_end(buf: &[u8]) -> Option<usize> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Reads a request head from `stream`, bounded in size (`MAX_HEAD`) and in time (until
/// `deadline`). Returns the head without its final blank line.
fn read_head(stream: &mut TcpStream, deadline: Instant) -> Result<Vec<u8>, HeadError> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    loop {
        if let Some(end) = head_end(&buf) {
            let body_start = end;
            let blank = if buf[..end].ends_with(b"\r\n\r\n") {
                4
            } else {
                2
            };
            buf.truncate(body_start - blank);
            return Ok(buf);
        }
        if buf.len() >= MAX_HEAD {
            return Err(HeadError::TooLarge);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HeadError::Timeout);
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|_| HeadError::Gone)?;
        // Never read past MAX_HEAD, so the buffer stays bounded.
        let want = chunk.len().min(MAX_HEAD - buf.len());
        match stream.read(&mut chunk[..want]) {
            Ok(0) => return Err(HeadError::Gone),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(HeadError::Timeout)
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Err(HeadError::Gone),
        }
    }
}

/// Writes all of `bytes` before `deadline`, whatever the client's reading speed.
fn write_by(stream: &mut TcpStream, bytes: &[u8], deadline: Instant) -> io::Result<()> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::Error::new(ErrorKind::TimedOut, "response deadline"));
    }
    stream.set_write_timeout(Some(left))?;
    stream.write_all(bytes)
}

/// The response head: status, type, length and the headers every reply carries.
fn response_head(status: &str, content_type: &str, length: u64, isolation: bool) -> String {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\n\
         Cache-Control: no-cache\r\n\
         Cross-Origin-Resource-Policy: same-origin\r\n\
         X-Content-Type-Options: nosniff\r\nConnection: close\r\n"
    );
    if isolation {
        head.push_str(
            "Cross-Origin-Opener-Policy: same-origin\r\n\
             Cross-Origin-Embedder-Policy: require-corp\r\n",
        );
    }
    if status.starts_with("405") {
        head.push_str("Allow: GET, HEAD\r\n");
    }
    head.push_str("\r\n");
    head
}

/// Sends a short plain-text error reply (body: the status line), before `deadline`.
fn send_status(stream: &mut TcpStream, status: &str, isolation: bool, head_only: bool) {
    let body = format!("{status}\n");
    let head = response_head(
        status,
        "text/plain; charset=utf-8",
        body.len() as u64,
        isolation,
    );
    let deadline = Instant::now() + Duration::from_secs(2);
    let _ = write_by(stream, head.as_bytes(), deadline);
    if !head_only {
        let _ = write_by(stream, body.as_bytes(), deadline);
    }
}

/// Reads and discards what the client still sends, for at most `LINGER` and
/// `LINGER_BYTES`, after our reply is out and our side is shut; see `LINGER`.
fn linger(stream: &mut TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER;
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < LINGER_BYTES {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// Answers one connection: reads its request head, checks it, sends the file or an
/// error, and closes.
fn handle(root: &Path, port: u16, isolation: bool, mut stream: TcpStream, accepted: Instant) {
    let head = match read_head(&mut stream, accepted + HEAD_DEADLINE) {
        Ok(head) => head,
        Err(HeadError::TooLarge) => {
            eprintln!("(head over {MAX_HEAD} bytes) -> 431");
            send_status(
                &mut stream,
                "431 Request Header Fields Too Large",
                isolation,
                false,
            );
            linger(&mut stream);
            return;
        }
        Err(HeadError::Timeout) => {
            eprintln!("(no complete head within {HEAD_DEADLINE:?}) -> 408");
            send_status(&mut stream, "408 Request Timeout", isolation, false);
            linger(&mut stream);
            return;
        }
        Err(HeadError::Gone) => return,
    };
    let Some(request) = parse_head(&head) else {
        eprintln!("(malformed head) -> 400");
        send_status(&mut stream, "400 Bad Request", isolation, false);
        linger(&mut stream);
        return;
    };
    let head_only = request.method == "HEAD";
    let resolved = match &request.host {
        None => Resolved::Status("400 Bad Request"),
        Some(host) if !host_allowed(host, port) => Resolved::Status("421 Misdirected Request"),
        _ if !matches!(request.method.as_str(), "GET" | "HEAD") => {
            Resolved::Status("405 Method Not Allowed")
        }
        _ => resolve(root, &request.target),
    };
    // Debug formatting escapes control characters, so a crafted target cannot write
    // terminal escapes into the log.
    let log = |status: &str| eprintln!("{} {:?} -> {status}", request.method, request.target);
    let path = match resolved {
        Resolved::File(path) => path,
        Resolved::Status(status) => {
            log(status);
            send_status(&mut stream, status, isolation, head_only);
            linger(&mut stream);
            return;
        }
    };
    let deadline = Instant::now() + RESPONSE_DEADLINE;
    let sent = File::open(&path).and_then(|mut file| {
        let length = file.metadata()?.len();
        let head = response_head("200 OK", content_type(&path), length, isolation);
        log("200 OK");
        write_by(&mut stream, head.as_bytes(), deadline)?;
        if head_only {
            return Ok(());
        }
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            write_by(&mut stream, &chunk[..n], deadline)?;
        }
    });
    match sent {
        Ok(()) => {
            let _ = stream.shutdown(Shutdown::Write);
        }
        Err(err) => eprintln!("serve: sending {}: {err}", path.display()),
    }
}

/// Counts open connections; the slot is given back when the guard drops.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Refuses a connection over the cap, from the accepting thread: the reply fits in an
/// empty socket buffer, so the non-blocking write cannot stall the accept loop.
fn refuse(mut stream: TcpStream, isolation: bool) {
    let _ = stream.set_nonblocking(true);
    let status = "503 Service Unavailable";
    let body = format!("{status}\n");
    let head = response_head(
        status,
        "text/plain; charset=utf-8",
        body.len() as u64,
        isolation,
    );
    let _ = stream.write_all(format!("{head}{body}").as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
}

fn main() {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(opts) => opts,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("serve: {msg}");
            }
            eprintln!("{USAGE}");
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
    let listener = match TcpListener::bind(SocketAddr::new(opts.host, opts.port)) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("serve: cannot bind {}:{}: {err}", opts.host, opts.port);
            std::process::exit(1);
        }
    };
    let addr = listener
        .local_addr()
        .unwrap_or(SocketAddr::new(opts.host, opts.port));
    // SocketAddr's Display brackets IPv6 addresses, as a URL needs.
    println!("Serving http://{addr}/");
    // Scripts wait for that line, and stdout may be a pipe: flush now.
    let _ = io::stdout().flush();
    if !opts.isolation {
        eprintln!("serve: --no-isolation: no COOP/COEP headers; the page trains on one worker");
    }

    let open = Arc::new(AtomicUsize::new(0));
    let root = Arc::new(root);
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(err) => {
                // Out of file descriptors, for instance: do not spin on the error.
                eprintln!("serve: accept failed: {err}");
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        let accepted = Instant::now();
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            eprintln!("(over {MAX_CONNECTIONS} connections) -> 503");
            refuse(stream, opts.isolation);
            continue;
        }
        let slot = Slot(Arc::clone(&open));
        let root = Arc::clone(&root);
        let (port, isolation) = (addr.port(), opts.isolation);
        let spawned = std::thread::Builder::new()
            .stack_size(THREAD_STACK)
            .spawn(move || {
                let _slot = slot;
                handle(&root, port, isolation, stream, accepted);
            });
        if let Err(err) = spawned {
            eprintln!("serve: cannot start a thread: {err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

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
            "/www/..",
            "/%2e%2e/secret",
            "/%2E%2E%2Fsecret",
            "/a%2f..%2f..%2fb",
            "/..\\x",
            "/%5c..%5cx",
            "/bad%zz",
            "/bad%2",
            "/nul%00",
            "relative.txt",
            "http://example.com/",
            "*",
        ] {
            assert_eq!(relative_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn hidden_components_are_spotted() {
        assert!(has_dot_component(Path::new(".git/config")));
        assert!(has_dot_component(Path::new("www/.env")));
        assert!(!has_dot_component(Path::new("v-1a2b/www/main.js")));
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
    fn heads_parse_strictly() {
        let ok = parse_head(b"GET /x?y HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nAccept: */*").unwrap();
        assert_eq!(
            ok,
            Request {
                method: "GET".into(),
                target: "/x?y".into(),
                host: Some("127.0.0.1:8000".into())
            }
        );
        assert_eq!(parse_head(b"HEAD / HTTP/1.0").unwrap().host, None);
        for bad in [
            &b"GET / HTTP/1.1\r\nHost: a\r\nHost: b"[..],
            b"GET / HTTP/2.0\r\nHost: a",
            b"GET  / HTTP/1.1\r\nHost: a",
            b"GET / HTTP/1.1 extra\r\nHost: a",
            b"get / HTTP/1.1\r\nHost: a",
            b"GET / HTTP/1.1\r\nno colon here",
            b"GET / HTTP/1.1\r\nHost: a\r\n folded",
            b"GET /\x01 HTTP/1.1\r\nHost: a",
            b"GET / HTTP/1.1\r\nHost: \xff",
        ] {
            assert_eq!(parse_head(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn only_our_own_host_and_port_are_allowed() {
        for good in [
            "127.0.0.1:8000",
            "localhost:8000",
            "LOCALHOST:8000",
            "[::1]:8000",
        ] {
            assert!(host_allowed(good, 8000), "{good}");
        }
        for bad in [
            "evil.example:8000",
            "127.0.0.1:8001",
            "127.0.0.1",
            "localhost",
            "127.0.0.1.evil.example:8000",
            "localhost.:8000",
            "[::1]",
            "0.0.0.0:8000",
            "",
            ":8000",
        ] {
            assert!(!host_allowed(bad, 8000), "{bad}");
        }
        assert!(host_allowed("localhost", 80));
        assert!(host_allowed("[::1]", 80));
    }

    #[test]
    fn heads_end_at_the_first_blank_line() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nbody"), Some(27));
        assert_eq!(head_end(b"GET / HTTP/1.1\nHost: a\n\n"), Some(24));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: a\r\n"), None);
    }

    #[test]
    fn resolve_serves_files_and_index_and_nothing_else() {
        let base = std::env::temp_dir().join(format!("grokking-serve-unit-{}", std::process::id()));
        let root = base.join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join("index.html"), "<p>hi</p>").unwrap();
        std::fs::write(root.join("sub/index.html"), "sub").unwrap();
        std::fs::write(root.join(".git/config"), "secret").unwrap();
        let root = root.canonicalize().unwrap();
        let file = |t: &str| match resolve(&root, t) {
            Resolved::File(p) => Some(p.strip_prefix(&root).unwrap().to_path_buf()),
            Resolved::Status(_) => None,
        };
        let status = |t: &str| match resolve(&root, t) {
            Resolved::Status(s) => s,
            Resolved::File(p) => panic!("{t} served {}", p.display()),
        };
        assert_eq!(file("/"), Some(PathBuf::from("index.html")));
        assert_eq!(file("/sub/"), Some(PathBuf::from("sub/index.html")));
        assert_eq!(file("/index.html?x=1"), Some(PathBuf::from("index.html")));
        assert_eq!(status("/sub"), "404 Not Found");
        assert_eq!(status("/index.html/"), "404 Not Found");
        assert_eq!(status("/missing.js"), "404 Not Found");
        assert_eq!(status("/.git/config"), "404 Not Found");
        assert_eq!(status("/%2egit/config"), "404 Not Found");
        assert_eq!(status("/../x"), "400 Bad Request");
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn args_parse_with_defaults() {
        let opts = parse_args(Vec::new()).unwrap();
        assert_eq!(
            (opts.host, opts.port, opts.isolation),
            (IpAddr::V4(Ipv4Addr::LOCALHOST), 8000, true)
        );
        let args = ["--port", "0", "--root=dist", "--no-isolation"].map(String::from);
        let opts = parse_args(args).unwrap();
        assert_eq!((opts.port, opts.root), (0, PathBuf::from("dist")));
        assert!(!opts.isolation);
        let opts = parse_args(["--host", "[::1]"].map(String::from)).unwrap();
        assert_eq!(opts.host, IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert!(parse_args(["--port".to_string()]).is_err());
        assert!(parse_args(["--bogus", "1"].map(String::from)).is_err());
        assert!(parse_args(["--host", "0.0.0.0"].map(String::from)).is_err());
        assert!(parse_args(["--host", "192.168.1.2"].map(String::from)).is_err());
    }
}
