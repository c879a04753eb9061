//! Proves the harness itself, without the app or the relay: two tablets are two devices, and a
//! tablet's IndexedDB survives a reload and a browser restart on the same profile.

use std::time::Duration;

use e2e::{Chromedriver, Result, Tablet};
use std::io::{Read, Write};
use std::net::TcpListener;

/// A page that counts its visits in IndexedDB and shows the count in `#visits`.
const COUNTER_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>counter</title></head>
<body><p>visits: <span id="visits-pending">…</span></p>
<script>
const open = indexedDB.open("harness", 1);
open.onupgradeneeded = () => open.result.createObjectStore("kv");
open.onsuccess = () => {
  const db = open.result;
  const tx = db.transaction("kv", "readwrite");
  const store = tx.objectStore("kv");
  const get = store.get("visits");
  let visits = 0;
  get.onsuccess = () => { visits = (get.result || 0) + 1; store.put(visits, "visits"); };
  tx.oncomplete = () => {
    const span = document.getElementById("visits-pending");
    span.textContent = String(visits);
    span.id = "visits";
  };
};
</script></body></html>"#;

/// Serves [`COUNTER_PAGE`] for every request on a free loopback port (a thread per request);
/// returns the base URL.
fn serve_counter_page() -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for mut socket in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{COUNTER_PAGE}",
                    COUNTER_PAGE.len()
                );
                let _ = socket.write_all(response.as_bytes());
            });
        }
    });
    Ok(url)
}

async fn visits(tablet: &Tablet) -> Result<String> {
    tablet.wait_for("#visits", Duration::from_secs(10)).await?;
    tablet.text("#visits").await
}

#[tokio::test]
async fn tablets_are_separate_devices_and_keep_indexeddb_across_reload_and_restart() -> Result<()> {
    let url = serve_counter_page()?;
    let driver = Chromedriver::start().await?;

    let mut a = Tablet::open(&driver, &url, "a").await?;
    a.goto("/").await?;
    assert_eq!(
        visits(&a).await?,
        "1",
        "a fresh profile starts with no data"
    );

    a.reload().await?;
    assert_eq!(visits(&a).await?, "2", "a reload keeps IndexedDB");

    a.restart().await?;
    a.goto("/").await?;
    assert_eq!(
        visits(&a).await?,
        "3",
        "a browser restart on the same profile keeps IndexedDB"
    );

    let b = Tablet::open(&driver, &url, "b").await?;
    b.goto("/").await?;
    assert_eq!(visits(&b).await?, "1", "another tablet shares no data");

    b.close().await?;
    a.close().await?;
    Ok(())
}
