//! A real browser for the workbench tests: Debian's `chromium`, headless,
//! driven through `chromedriver` (WebDriver) with fantoccini. Without them
//! the tests are skipped (and say so), except under CI=true, where they fail.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};

/// A running chromedriver and one browser session.
pub struct Browser {
    driver: Child,
    driver_url: String,
    /// The WebDriver session.
    pub client: Client,
    shots: PathBuf,
}

fn find(names: &[&str]) -> Option<PathBuf> {
    names.iter().map(PathBuf::from).find(|p| p.is_file()).or_else(|| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).flat_map(|d| names.iter().map(move |n| d.join(n))).find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a headless
    /// Chromium with a fresh profile; `None` (skipped) when they are not installed.
    pub async fn start(name: &str) -> Option<Browser> {
        let chromium = find(&["/usr/bin/chromium", "chromium"]);
        let driver = find(&["/usr/bin/chromedriver", "chromedriver"]);
        let (Some(chromium), Some(driver)) = (chromium, driver) else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but chromium or chromedriver is missing: .ci/run installs Debian's chromium and chromium-driver");
            }
            eprintln!("SKIPPED (browser): install Debian's chromium and chromium-driver to run the workbench's browser tests");
            return None;
        };
        let port = free_port();
        let log = super::harness::scratch("chromedriver").join("chromedriver.log");
        let driver = Command::new(driver)
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into(), format!("--log-path={}", log.display())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver_url = format!("http://127.0.0.1:{port}");
        let profile = super::harness::scratch("chromium-profile");
        let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display())],
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        }))
        .expect("capabilities are an object");
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match Client::with_capabilities_and_connector(&driver_url, &caps, connector).await {
                Ok(c) => break c,
                Err(e) if started.elapsed() < Duration::from_secs(30) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("cannot open a Chromium session through chromedriver: {e} (log: {})", std::fs::read_to_string(&log).unwrap_or_default()),
            }
        };
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/workbench-screenshots").join(name);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).expect("create the screenshot folder");
        Some(Browser { driver, driver_url, client, shots })
    }

    /// Saves a screenshot of the page as `NAME.png` (a test artifact under `target/workbench-screenshots/`).
    pub async fn shot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// Waits (at most 15 s) for an element.
    pub async fn wait(&self, css: &str) -> fantoccini::elements::Element {
        self.client.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no `{css}` within 15 s: {e}"))
    }

    /// Waits (at most 15 s) until a script returns true.
    pub async fn until(&self, what: &str, script: &str) {
        let started = Instant::now();
        loop {
            let v = self.client.execute(script, vec![]).await.unwrap_or(serde_json::Value::Null);
            if v == serde_json::Value::Bool(true) {
                return;
            }
            if started.elapsed() > Duration::from_secs(15) {
                let body = self.client.execute("return document.body.innerText", vec![]).await.unwrap_or_default();
                panic!("{what}: not true within 15 s: {script}\npage text:\n{}", body.as_str().unwrap_or_default());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks an element, finding it again if a live refresh replaced it meanwhile.
    pub async fn click(&self, css: &str) {
        for attempt in 0..5 {
            match self.wait(css).await.click().await {
                Ok(()) => return,
                Err(e) if attempt < 4 && e.to_string().contains("stale") => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => panic!("cannot click `{css}`: {e}"),
            }
        }
    }

    /// An element's rendered text, finding it again if a live refresh
    /// replaced it between the lookup and the read (a stale element is
    /// retried, never read as empty).
    pub async fn text(&self, css: &str) -> String {
        let mut last = String::new();
        for _ in 0..5 {
            match self.wait(css).await.text().await {
                Ok(t) => return t,
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("cannot read the text of `{css}`: {last}")
    }

    /// Opens a URL.
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// Every browser console entry at level SEVERE since the last call
    /// (chromedriver's log endpoint), as `level message` lines.
    pub async fn console_errors(&self) -> Vec<String> {
        let Ok(Some(session)) = self.client.session_id().await else { return vec!["no WebDriver session".into()] };
        let client = super::harness::client();
        let r = client.post(format!("{}/session/{session}/se/log", self.driver_url)).header("content-type", "application/json").body(r#"{"type":"browser"}"#).send().await;
        let Ok(r) = r else { return vec!["chromedriver did not answer the log request".into()] };
        let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap_or_default()).unwrap_or_default();
        v["value"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .map(|e| format!("{} {}", e["level"].as_str().unwrap_or(""), e["message"].as_str().unwrap_or("")))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Ends the session and stops chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
