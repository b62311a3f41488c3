// What the console's browser scenarios share: launching Debian's chromium, checks, a
// watcher that collects every page error and failed response, screenshots and signing in.
"use strict";

const { chromium } = require("playwright-core");
const fs = require("fs");
const path = require("path");

const base = process.env.HINOMI_URL;
const artifacts = process.env.ARTIFACTS;
const token = process.env.HINOMI_TOKEN || "";

const viewports = [
  { name: "phone", width: 360, height: 740 },
  { name: "desktop", width: 1280, height: 800 },
];

function check(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
}

/// Records page errors, console errors and answers of 400 and above on `page` into
/// `problems`, except answers for URLs `expected` accepts.
function watch(page, problems, expected = () => false) {
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("console", (m) => { if (m.type() === "error") problems.push("console error: " + m.text()); });
  page.on("response", (r) => {
    if (r.status() >= 400 && !expected(r)) problems.push(`${r.status()} for ${r.url()}`);
  });
  return problems;
}

/// Saves a full-page screenshot of `page` as `$ARTIFACTS/<prefix>-<name>.png`.
function shot(page, prefix, name) {
  return page.screenshot({ path: path.join(artifacts, `${prefix}-${name}.png`), fullPage: true });
}

/// How far the page is wider than its viewport (0 or less: no sideways scrolling).
function overflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/// Signs in on the sign-in page `page` shows, with the form's labels in `labels`
/// ({ username, password, submit }).
async function signIn(page, user, password, labels) {
  await page.getByLabel(labels.username).fill(user);
  await page.getByLabel(labels.password).fill(password);
  await page.getByRole("button", { name: labels.submit }).click();
}

/// Opens `pathname` in a new English desktop context as `user`, through the sign-in page it
/// redirects to; answers the context, the page and the list its problems are watched into.
async function signedIn(browser, pathname, user, password) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale: "en-US",
    extraHTTPHeaders: { "accept-language": "en-US,en;q=0.9" },
  });
  const page = await context.newPage();
  const problems = watch(page, []);
  await page.goto(base + pathname);
  await page.waitForURL(/\/login\?next=/);
  await signIn(page, user, password, { username: "Username", password: "Password", submit: "Sign in" });
  await page.waitForURL((url) => url.pathname === pathname);
  return { context, page, problems };
}

/// The API's answer to `GET path` as JSON, with the harness's token.
async function api(pathname) {
  const r = await fetch(base + pathname, { headers: { authorization: "Bearer " + token } });
  check(r.ok, `GET ${pathname} answered ${r.status}`);
  return r.json();
}

/// Runs `scenario(browser)` in a headless chromium, then closes it; exits non-zero with the
/// error when the scenario fails.
function main(scenario) {
  (async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"],
    });
    try {
      await scenario(browser);
    } catch (e) {
      // What each open page showed when the scenario failed.
      const pages = browser.contexts().flatMap((c) => c.pages());
      for (const [i, page] of pages.entries()) {
        console.error(`failed at ${page.url()}, see failure-${i}.png`);
        await page.screenshot({ path: path.join(artifacts, `failure-${i}.png`), fullPage: true }).catch(() => {});
      }
      throw e;
    } finally {
      await browser.close();
    }
  })().catch((e) => {
    console.error(e && e.stack ? e.stack : String(e));
    process.exit(1);
  });
}

module.exports = { base, token, viewports, check, watch, shot, overflow, signIn, signedIn, api, main };
