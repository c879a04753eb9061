//! The app's files: brotli-compressed copies made by the build go to browsers that accept br.

mod common;

use common::*;

#[tokio::test]
async fn a_precompressed_file_goes_to_browsers_that_accept_brotli_and_the_original_to_others() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_relay(dir.path()).await;
    let pkg = dir.path().join("web/pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let original: Vec<u8> = (0..4096u32).flat_map(|n| n.to_le_bytes()).collect();
    let compressed = b"pretend these are brotli bytes".to_vec();
    std::fs::write(pkg.join("app_bg.wasm"), &original).unwrap();
    std::fs::write(pkg.join("app_bg.wasm.br"), &compressed).unwrap();
    let get = |accept: &'static str| {
        let url = relay.url("/pkg/app_bg.wasm");
        async move {
            let response = reqwest::Client::new()
                .get(url)
                .header("accept-encoding", accept)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let encoding = response
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_owned());
            (encoding, response.bytes().await.unwrap().to_vec())
        }
    };

    let (encoding, body) = get("gzip, deflate, br, zstd").await;
    assert_eq!(encoding.as_deref(), Some("br"));
    assert_eq!(body, compressed, "the build's .br file, as it is");

    let (encoding, body) = get("identity").await;
    assert_eq!(encoding, None);
    assert_eq!(body, original);

    let (encoding, _) = get("gzip").await;
    assert_eq!(encoding.as_deref(), Some("gzip"), "compressed on the fly");
    relay.shutdown().await;
}
