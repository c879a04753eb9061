//! chromedriver and headless Chromium "tablets".

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tempfile::TempDir;
use tokio::process::{Child, Command};

use crate::{POLL_INTERVAL, Result, free_port, poll};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// How long chromedriver may take to answer `GET /status`, and a browser to start.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The flags every tablet's Chromium runs with. The background-networking ones keep Chromium
/// from flooding a closed network with connection attempts.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1024,768",
];

/// `chromedriver` (`$CHROMEDRIVER`, else `/usr/bin/chromedriver`) on a free loopback port.
/// Killed on drop.
#[derive(Debug)]
pub struct Chromedriver {
    port: u16,
    _child: Child,
}

impl Chromedriver {
    pub async fn start() -> Result<Self> {
        let binary = std::env::var_os("CHROMEDRIVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(CHROMEDRIVER));
        if !binary.is_file() {
            return Err(format!(
                "{} is missing: install the test dependencies with `scripts/setup --test`",
                binary.display()
            )
            .into());
        }
        let port = free_port()?;
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let url = format!("http://127.0.0.1:{port}/status");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        poll(
            "chromedriver to answer GET /status",
            START_TIMEOUT,
            || async {
                match http.get(&url).send().await {
                    Ok(response) if response.status().is_success() => Ok(()),
                    Ok(response) => Err(format!("status {}", response.status())),
                    Err(e) => Err(e.to_string()),
                }
            },
        )
        .await?;
        Ok(Self {
            port,
            _child: child,
        })
    }

    /// The WebDriver endpoint, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// One simulated device: a headless Chromium session with its own profile directory
/// (`--user-data-dir`), kept for the tablet's life. A reload or a [`restart`](Tablet::restart)
/// keeps its IndexedDB and service worker; another tablet shares nothing with it.
///
/// Paths given to [`goto`](Tablet::goto) are relative to the tablet's base URL (the relay).
/// Call [`close`](Tablet::close) at the end of a test; on drop (e.g. after a failed assertion)
/// the tablet's browser processes are killed.
#[derive(Debug)]
pub struct Tablet {
    name: String,
    webdriver: String,
    base_url: String,
    client: Option<Client>,
    profile: TempDir,
    /// Browser flags beyond the usual ones (a fake camera), kept for restarts.
    extra_args: Vec<String>,
}

impl Tablet {
    /// Starts a browser for a new device called `name` (used in messages) that will open pages
    /// of `base_url`.
    pub async fn open(driver: &Chromedriver, base_url: &str, name: &str) -> Result<Self> {
        Self::open_with(driver, base_url, name, vec![]).await
    }

    /// [`Tablet::open`] with a camera that films `video` (a `.y4m` or `.mjpeg` file, looped),
    /// the camera permission granted as a person would.
    pub async fn open_with_camera(
        driver: &Chromedriver,
        base_url: &str,
        name: &str,
        video: &Path,
    ) -> Result<Self> {
        let args = vec![
            "--use-fake-device-for-media-stream".to_owned(),
            "--use-fake-ui-for-media-stream".to_owned(),
            format!("--use-file-for-fake-video-capture={}", video.display()),
        ];
        Self::open_with(driver, base_url, name, args).await
    }

    async fn open_with(
        driver: &Chromedriver,
        base_url: &str,
        name: &str,
        extra_args: Vec<String>,
    ) -> Result<Self> {
        let profile = tempfile::Builder::new()
            .prefix(&format!("outpost-tablet-{name}-"))
            .tempdir()?;
        let client = connect(&driver.url(), profile.path(), &extra_args).await?;
        Ok(Self {
            name: name.to_owned(),
            webdriver: driver.url(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            client: Some(client),
            profile,
            extra_args,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The profile directory (the device's storage).
    pub fn profile_dir(&self) -> &Path {
        self.profile.path()
    }

    /// The WebDriver client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        self.client
            .as_ref()
            .expect("the tablet's browser is running (only close() takes it)")
    }

    /// Opens `path` (e.g. `/` or `/incidents/new`) under the base URL.
    pub async fn goto(&self, path: &str) -> Result<()> {
        let url = format!("{}{path}", self.base_url);
        self.client()
            .goto(&url)
            .await
            .map_err(|e| format!("{}: cannot open {url}: {e}", self.name))?;
        Ok(())
    }

    /// Reloads the current page.
    pub async fn reload(&self) -> Result<()> {
        self.client().refresh().await?;
        Ok(())
    }

    /// The current URL.
    pub async fn current_url(&self) -> Result<String> {
        Ok(self.client().current_url().await?.to_string())
    }

    /// Closes the browser and starts a new one on the same profile, as a device that was
    /// switched off and on again. The new browser shows a blank page: `goto` next.
    pub async fn restart(&mut self) -> Result<()> {
        if let Some(client) = self.client.take() {
            client.close().await?;
        }
        wait_for_browser_exit(self.profile.path()).await;
        self.client = Some(connect(&self.webdriver, self.profile.path(), &self.extra_args).await?);
        Ok(())
    }

    /// Ends the browser session (and the browser).
    pub async fn close(mut self) -> Result<()> {
        if let Some(client) = self.client.take() {
            client.close().await?;
        }
        wait_for_browser_exit(self.profile.path()).await;
        Ok(())
    }

    /// The first element matching the CSS `selector`, waiting up to `timeout` for it to appear.
    pub async fn wait_for(&self, selector: &str, timeout: Duration) -> Result<Element> {
        let client = self.client();
        poll(
            &format!("{}: `{selector}` to appear", self.name),
            timeout,
            || async {
                client
                    .find(Locator::Css(selector))
                    .await
                    .map_err(|e| e.to_string())
            },
        )
        .await
    }

    /// Waits up to `timeout` until the text of `selector` satisfies `accept`; returns that text.
    /// `what` describes the expectation in the failure message.
    pub async fn wait_for_text(
        &self,
        selector: &str,
        what: &str,
        timeout: Duration,
        accept: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let accept = &accept;
        poll(
            &format!("{}: `{selector}` {what}", self.name),
            timeout,
            || async move {
                let text = self.text(selector).await.map_err(|e| e.to_string())?;
                if accept(&text) {
                    Ok(text)
                } else {
                    Err(format!("{text:?}"))
                }
            },
        )
        .await
    }

    /// Waits up to `timeout` until `condition` (any check on the page) holds.
    pub async fn wait_until<F, Fut>(
        &self,
        what: &str,
        timeout: Duration,
        condition: F,
    ) -> Result<()>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<bool>>,
    {
        poll(&format!("{}: {what}", self.name), timeout, || async {
            match condition().await {
                Ok(true) => Ok(()),
                Ok(false) => Err("not yet".to_owned()),
                Err(e) => Err(e.to_string()),
            }
        })
        .await
    }

    /// The rendered text of the first element matching `selector` (it must exist now).
    pub async fn text(&self, selector: &str) -> Result<String> {
        Ok(self.find(selector).await?.text().await?.trim().to_owned())
    }

    /// An attribute of the first element matching `selector` (it must exist now).
    pub async fn attr(&self, selector: &str, name: &str) -> Result<Option<String>> {
        Ok(self.find(selector).await?.attr(name).await?)
    }

    /// The current value of a form field (input, textarea, select).
    pub async fn value(&self, selector: &str) -> Result<String> {
        Ok(self
            .find(selector)
            .await?
            .prop("value")
            .await?
            .unwrap_or_default())
    }

    /// How many elements match `selector` now.
    pub async fn count(&self, selector: &str) -> Result<usize> {
        Ok(self.client().find_all(Locator::Css(selector)).await?.len())
    }

    /// All elements matching `selector` now.
    pub async fn find_all(&self, selector: &str) -> Result<Vec<Element>> {
        Ok(self.client().find_all(Locator::Css(selector)).await?)
    }

    /// Replaces the content of a text field by typing `value` (as a user would: input events).
    pub async fn fill(&self, selector: &str, value: &str) -> Result<()> {
        let field = self.find(selector).await?;
        field.clear().await?;
        field.send_keys(value).await?;
        Ok(())
    }

    /// Chooses the option with `value` in a select.
    pub async fn select(&self, selector: &str, value: &str) -> Result<()> {
        self.find(selector).await?.select_by_value(value).await?;
        Ok(())
    }

    /// Clicks `selector`, waiting (as a person would) up to [`crate::app::UI_TIMEOUT`] for it
    /// to appear: a page opened from the service worker draws its controls only once the
    /// session has been read from IndexedDB.
    pub async fn click(&self, selector: &str) -> Result<()> {
        self.wait_for(selector, crate::app::UI_TIMEOUT)
            .await?
            .click()
            .await?;
        Ok(())
    }

    /// Saves a PNG of the viewport at `path` (directories are created).
    pub async fn screenshot(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, self.client().screenshot().await?)?;
        Ok(())
    }

    /// Runs JavaScript in the page (`arguments[i]` are `args`) and returns its result.
    pub async fn execute(
        &self,
        script: &str,
        args: Vec<serde_json::Value>,
    ) -> Result<serde_json::Value> {
        Ok(self.client().execute(script, args).await?)
    }

    async fn find(&self, selector: &str) -> Result<Element> {
        self.client()
            .find(Locator::Css(selector))
            .await
            .map_err(|e| format!("{}: `{selector}` not found: {e}", self.name).into())
    }
}

impl Drop for Tablet {
    fn drop(&mut self) {
        // A test that failed half-way never called close(): its browser would outlive
        // chromedriver. Kill exactly the processes started with this tablet's profile.
        for pid in browser_pids(self.profile.path()) {
            let _ = std::process::Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        }
    }
}

/// A new WebDriver session with Chromium on `profile`. Retries briefly: a browser that just quit
/// on the same profile may still hold its lock.
async fn connect(webdriver: &str, profile: &Path, extra_args: &[String]) -> Result<Client> {
    let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| (*a).to_owned()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.extend_from_slice(extra_args);
    let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| CHROMIUM.to_owned());
    let mut capabilities = Capabilities::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": binary, "args": args }),
    );
    let mut builder = ClientBuilder::new(HttpConnector::new());
    builder.capabilities(capabilities);
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        match builder.connect(webdriver).await {
            Ok(client) => return Ok(client),
            Err(e) if Instant::now() < deadline => {
                eprintln!("new browser session failed, retrying: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(format!("cannot start a browser session: {e}").into()),
        }
    }
}

/// Waits (up to 10 s) until no process runs with `profile` as its user-data-dir, then kills any
/// that remain.
async fn wait_for_browser_exit(profile: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pids = browser_pids(profile);
        if pids.is_empty() {
            return;
        }
        if Instant::now() >= deadline {
            for pid in pids {
                let _ = std::process::Command::new("kill")
                    .arg("-KILL")
                    .arg(pid.to_string())
                    .status();
            }
            return;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Processes whose command line has `--user-data-dir=<profile>` (this tablet's browser).
fn browser_pids(profile: &Path) -> Vec<u32> {
    let needle = format!("--user-data-dir={}", profile.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            cmdline
                .split(|b| *b == 0)
                .any(|arg| arg == needle.as_bytes())
                .then_some(pid)
        })
        .collect()
}
