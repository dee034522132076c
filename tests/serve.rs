//! The `serve` binary against the attacks it must refuse, over raw TCP: path traversal
//! (plain and percent-encoded), dotfiles, symlinks out of the root, open redirects
//! (`//host`), foreign and missing `Host` headers (DNS rebinding), oversized and endless
//! heads, a slow client (slowloris) and more idle connections than the cap.
//!
//! Each test starts the built server on port 0 against its own temporary root, whose
//! parent holds files that must never be served.
#![cfg(not(target_arch = "wasm32"))]

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A running server, killed (and its temporary directory removed) when dropped.
struct Server {
    child: Child,
    port: u16,
    base: PathBuf,
}

impl Server {
    /// Starts `serve --port 0` on a fresh root (named after the test) with `extra` flags.
    ///
    /// The root holds `index.html`, `www/main.js`, `.env`, `.git/config` and symlinks
    /// `out.txt` → `../Cargo.toml` and `outdir` → `..`; its parent holds `Cargo.toml` and
    /// `x`, which no request may reach.
    fn start(name: &str, extra: &[&str]) -> Server {
        let base =
            std::env::temp_dir().join(format!("grokking-serve-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("root");
        std::fs::create_dir_all(root.join("www")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join("index.html"), "<!doctype html><p>index</p>").unwrap();
        std::fs::write(root.join("www/main.js"), "export const main = 1;").unwrap();
        std::fs::write(root.join(".env"), "SECRET=env").unwrap();
        std::fs::write(root.join(".git/config"), "SECRET=git").unwrap();
        std::fs::write(base.join("Cargo.toml"), "SECRET=cargo").unwrap();
        std::fs::write(base.join("x"), "SECRET=x").unwrap();
        std::os::unix::fs::symlink("../Cargo.toml", root.join("out.txt")).unwrap();
        std::os::unix::fs::symlink("..", root.join("outdir")).unwrap();
        std::os::unix::fs::symlink(".env", root.join("env.txt")).unwrap();

        let mut child = Command::new(env!("CARGO_BIN_EXE_serve"))
            .args(["--port", "0", "--root"])
            .arg(&root)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("Serving http://127.0.0.1:")
            .and_then(|rest| rest.strip_suffix('/'))
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
        Server { child, port, base }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream
    }

    /// The `Host` header a browser sends for this server.
    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Sends `raw` as is and reads the whole reply, up to the server closing.
    fn raw(&self, raw: &[u8]) -> Reply {
        let mut stream = self.connect();
        stream.write_all(raw).unwrap();
        read_reply(&mut stream)
    }

    /// `GET target` with our own `Host` header.
    fn get(&self, target: &str) -> Reply {
        let host = self.host();
        self.raw(format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// A reply as read off the wire.
#[derive(Debug)]
struct Reply {
    /// The status code, 0 if nothing came back.
    status: u16,
    /// Header lines, as sent.
    headers: Vec<String>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|h| {
            let (n, v) = h.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Reads until the server closes (a reset after the reply counts as closing) and parses.
fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "reading the reply: {e} (so far {:?})",
                String::from_utf8_lossy(&bytes)
            ),
        }
    }
    parse_reply(&bytes)
}

fn parse_reply(bytes: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.strip_prefix("HTTP/1.1 "))
        .and_then(|l| l.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Reply {
        status,
        headers: lines.map(str::to_string).collect(),
        body: body.to_string(),
    }
}

/// No reply may carry anything from outside the root or from a dotfile.
fn assert_no_secret(reply: &Reply, what: &str) {
    assert!(!reply.body.contains("SECRET"), "{what} leaked: {reply:?}");
}

#[test]
fn serves_files_with_isolation_headers() {
    let server = Server::start("files", &[]);
    let index = server.get("/");
    assert_eq!(index.status, 200, "{index:?}");
    assert_eq!(index.body, "<!doctype html><p>index</p>");
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        index.header("cross-origin-opener-policy"),
        Some("same-origin")
    );
    assert_eq!(
        index.header("cross-origin-embedder-policy"),
        Some("require-corp")
    );
    let js = server.get("/www/main.js?v=1");
    assert_eq!(
        (js.status, js.body.as_str()),
        (200, "export const main = 1;")
    );
    let host = server.host();
    let head = server.raw(format!("HEAD /www/main.js HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes());
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    assert_eq!(head.header("content-length"), Some("22"));
    let post = server
        .raw(format!("POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n").as_bytes());
    assert_eq!(post.status, 405);
    assert_eq!(server.get("/missing.js").status, 404);
}

#[test]
fn no_isolation_leaves_out_coop_and_coep() {
    let server = Server::start("plain", &["--no-isolation"]);
    let index = server.get("/");
    assert_eq!(index.status, 200);
    assert_eq!(index.header("cross-origin-opener-policy"), None);
    assert_eq!(index.header("cross-origin-embedder-policy"), None);
}

#[test]
fn traversal_is_refused() {
    let server = Server::start("traversal", &[]);
    for target in [
        "/../Cargo.toml",
        "/../x",
        "/%2e%2e/Cargo.toml",
        "/%2E%2E/x",
        "/.%2e/x",
        "/www/../../x",
        "/www/%2e%2e/%2e%2e/x",
        "/www%2f..%2f..%2fx",
        "/..%5cx",
        "/www/..",
    ] {
        let reply = server.get(target);
        assert_eq!(reply.status, 400, "{target}: {reply:?}");
        assert_no_secret(&reply, target);
    }
    // The absolute form names a host; we answer only for ourselves, by path.
    let reply = server.get("http://127.0.0.1/../x");
    assert_eq!(reply.status, 400, "{reply:?}");
}

#[test]
fn dotfiles_and_symlinks_out_of_the_root_are_not_served() {
    let server = Server::start("dotfiles", &[]);
    for target in [
        "/.git/config",
        "/.git/",
        "/.env",
        "/%2eenv",
        "/www/../.env",
        "/out.txt",
        "/outdir/x",
        "/outdir/Cargo.toml",
        "/env.txt",
    ] {
        let reply = server.get(target);
        let expected = if target.contains("..") { 400 } else { 404 };
        assert_eq!(reply.status, expected, "{target}: {reply:?}");
        assert_no_secret(&reply, target);
    }
}

#[test]
fn no_target_produces_an_off_site_redirect() {
    let server = Server::start("redirect", &[]);
    for target in [
        "//www",
        "//evil.example",
        "//evil.example/",
        "/www",
        "//www/",
        "/\\evil.example",
    ] {
        let reply = server.get(target);
        assert!(
            reply.status == 404 || reply.status == 400,
            "{target}: {reply:?}"
        );
        assert_eq!(reply.header("location"), None, "{target}: {reply:?}");
    }
}

#[test]
fn foreign_or_missing_host_is_refused() {
    let server = Server::start("host", &[]);
    let port = server.port;
    for host in [
        format!("evil.example:{port}"),
        format!("127.0.0.1.evil.example:{port}"),
        format!("localhost:{}", port.wrapping_add(1)),
        "127.0.0.1".to_string(),
    ] {
        let reply = server.raw(format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes());
        assert_eq!(reply.status, 421, "Host: {host}: {reply:?}");
        assert!(!reply.body.contains("index"), "{reply:?}");
    }
    for host in [format!("localhost:{port}"), format!("[::1]:{port}")] {
        let reply = server.raw(format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes());
        assert_eq!(reply.status, 200, "Host: {host}: {reply:?}");
    }
    let missing = server.raw(b"GET / HTTP/1.1\r\n\r\n");
    assert_eq!(missing.status, 400, "{missing:?}");
    let old = server.raw(b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(old.status, 400, "{old:?}");
    let twice = server.raw(
        format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(twice.status, 400, "{twice:?}");
}

#[test]
fn an_oversized_head_gets_431_and_the_connection_is_closed() {
    let server = Server::start("oversized", &[]);
    let host = server.host();
    let big = "a".repeat(20 * 1024);
    let reply =
        server.raw(format!("GET / HTTP/1.1\r\nHost: {host}\r\nX-Big: {big}\r\n\r\n").as_bytes());
    assert_eq!(reply.status, 431, "{:?}", reply.headers);
    assert!(!reply.body.contains("index"));
}

#[test]
fn an_endless_header_line_gets_431_and_the_connection_is_closed() {
    let server = Server::start("endless", &[]);
    let mut stream = server.connect();
    let host = server.host();
    stream
        .write_all(format!("GET / HTTP/1.1\r\nHost: {host}\r\nX-Endless: ").as_bytes())
        .unwrap();
    // Keep sending one line without end, from another thread, until the server gives up.
    let mut writer = stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let chunk = [b'a'; 1024];
        let start = Instant::now();
        let mut sent = 0usize;
        while start.elapsed() < Duration::from_secs(10) {
            match writer.write(&chunk) {
                Ok(n) => sent += n,
                Err(_) => break,
            }
        }
        sent
    });
    let start = Instant::now();
    let reply = read_reply(&mut stream);
    assert_eq!(reply.status, 431, "{reply:?}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "closed after {:?}",
        start.elapsed()
    );
    let sent = sender.join().unwrap();
    // Sending failed soon after the server closed: it is not reading forever.
    assert!(
        sent < 8 * 1024 * 1024,
        "the server kept reading: {sent} bytes"
    );
}

#[test]
fn a_slow_client_is_closed_at_the_deadline_while_others_are_served() {
    let server = Server::start("slowloris", &[]);
    let mut slow = server.connect();
    let connected = Instant::now();
    let host = server.host();
    // A head that would be valid, one byte a second: it never completes in time.
    let head = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nX-Slow: {}\r\n\r\n",
        "s".repeat(64)
    );
    let mut writer = slow.try_clone().unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let stop = Arc::clone(&done);
    let sender = std::thread::spawn(move || {
        for byte in head.bytes() {
            if stop.load(Ordering::SeqCst) || writer.write_all(&[byte]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    // Meanwhile, others are served promptly.
    let others = std::thread::spawn({
        let port = server.port;
        let host = server.host();
        move || {
            let mut served = 0;
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(8) {
                let asked = Instant::now();
                let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                stream
                    .write_all(
                        format!("GET /www/main.js HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes(),
                    )
                    .unwrap();
                let reply = read_reply(&mut stream);
                assert_eq!(reply.status, 200);
                assert!(
                    asked.elapsed() < Duration::from_secs(1),
                    "took {:?}",
                    asked.elapsed()
                );
                served += 1;
                std::thread::sleep(Duration::from_millis(500));
            }
            served
        }
    });
    let reply = read_reply(&mut slow);
    let closed = connected.elapsed();
    done.store(true, Ordering::SeqCst);
    assert_eq!(reply.status, 408, "{reply:?}");
    assert!(
        closed >= Duration::from_secs(9) && closed <= Duration::from_secs(13),
        "the slow client was closed after {closed:?}, not at the 10 s deadline"
    );
    assert!(others.join().unwrap() >= 10, "others were served meanwhile");
    sender.join().unwrap();
}

#[test]
fn idle_connections_beyond_the_cap_are_refused_and_slots_come_back() {
    let server = Server::start("idle", &[]);
    // 64 idle connections hold every slot (the server's cap).
    let mut idle: Vec<TcpStream> = (0..64).map(|_| server.connect()).collect();
    // Give the server time to accept them all.
    std::thread::sleep(Duration::from_millis(300));
    // One more is refused at once, cleanly: a 503 reply, then the connection closes.
    let mut extra = server.connect();
    extra
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let asked = Instant::now();
    let refused = read_reply(&mut extra);
    assert_eq!(refused.status, 503, "{refused:?}");
    assert!(asked.elapsed() < Duration::from_secs(1));
    // Closing some idle connections gives their slots back: a request is served again.
    for stream in idle.drain(..8) {
        stream.shutdown(Shutdown::Both).unwrap();
    }
    let start = Instant::now();
    loop {
        let reply = server.get("/");
        if reply.status == 200 {
            break;
        }
        assert_eq!(reply.status, 503, "{reply:?}");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "slots not given back"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The idle ones still open are closed by the server at its deadline, with 408.
    let reply = read_reply(&mut idle[0]);
    assert_eq!(reply.status, 408, "{reply:?}");
}

#[test]
fn a_malformed_request_line_gets_400() {
    let server = Server::start("malformed", &[]);
    let host = server.host();
    for raw in [
        format!("GET / HTTP/9.9\r\nHost: {host}\r\n\r\n"),
        format!("GET /\x1b[31m HTTP/1.1\r\nHost: {host}\r\n\r\n"),
        format!("GET / HTTP/1.1\r\nHost: {host}\r\n folded\r\n\r\n"),
        "\r\n\r\n".to_string(),
    ] {
        let reply = server.raw(raw.as_bytes());
        assert_eq!(reply.status, 400, "{raw:?}: {reply:?}");
    }
}
