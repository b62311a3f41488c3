// The console in a real browser: watch an alert arrive live, silence it from its page,
// switch the language and back, at phone and desktop sizes. Run by the Rust test
// `console_browser` against a started hinomi; screenshots go to $ARTIFACTS.
//
// Environment: HINOMI_URL, ARTIFACTS, CHROMIUM (default /usr/bin/chromium), and optionally
// HINOMI_TOKEN (Bearer token for posting alerts through the API), HINOMI_USER and
// HINOMI_PASSWORD (the person who signs in).
"use strict";

const { base, token, viewports, check, watch, shot: save, overflow, signIn, main } = require("./common");

const user = process.env.HINOMI_USER;
const password = process.env.HINOMI_PASSWORD;

async function postAlert(labels) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = "Bearer " + token;
  const r = await fetch(base + "/api/v2/alerts", {
    method: "POST",
    headers,
    body: JSON.stringify([{ labels, annotations: { summary: "Disk almost full on " + labels.instance } }]),
  });
  check(r.ok, "posting an alert answered " + r.status);
}

async function run(browser, vp) {
  const context = await browser.newContext({
    viewport: { width: vp.width, height: vp.height },
    locale: "en-US",
    extraHTTPHeaders: { "accept-language": "en-US,en;q=0.9" },
  });
  const page = await context.newPage();
  const problems = watch(page, []);
  const shot = (name) => save(page, vp.name, name);

  // Signing in: the console sends an anonymous browser to the sign-in page and back.
  await page.goto(base + "/alerts");
  await page.waitForURL(/\/login\?next=%2Falerts$/);
  await shot("login");
  await signIn(page, user, password, { username: "Username", password: "Password", submit: "Sign in" });
  await page.waitForURL(/\/alerts$/);
  check((await page.locator("h1").first().textContent()).includes("Alerts"), "alerts page in English");
  // Marks this document: it must still be here once the alert shows, proving no reload.
  await page.evaluate(() => { window.__notReloaded = true; });
  await shot("alerts-before");

  const name = "DiskFull" + vp.name;
  await postAlert({ alertname: name, instance: "db-" + vp.name, severity: "critical" });
  const link = page.locator("#alert-list a.name", { hasText: name });
  await link.waitFor({ timeout: 15000 });
  check(await page.evaluate(() => window.__notReloaded === true), "the alert appeared without a reload");
  await shot("alerts-live");

  await link.click();
  await page.waitForURL(/\/alerts\/[0-9a-f]{16}$/);
  check((await page.locator("h1").textContent()).includes(name), "alert page shows the alert");
  await shot("alert");

  await page.getByRole("link", { name: "Silence this alert" }).click();
  await page.waitForURL(/\/silences\/new\?/);
  check((await page.locator("#matchers").inputValue()).includes(name), "matchers prefilled from the alert");
  await page.locator("#preview strong").waitFor({ timeout: 10000 });
  check((await page.locator("#preview strong").textContent()).trim() === "1", "preview finds the alert");
  check((await page.getByLabel("Created by").inputValue()) === user, "created by the signed-in person");
  await page.getByLabel("Comment").fill("ディスク交換中 / swapping the disk");
  await shot("silence-form");
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL(/\/silences$/);
  check(await page.locator(".silence.active", { hasText: name }).count() === 1, "the silence is listed as active");
  await shot("silences");

  // Japanese and back, from the settings menu.
  await page.locator("details.menu summary").click();
  await shot("menu-open");
  await page.getByRole("button", { name: "日本語" }).click();
  await page.waitForLoadState();
  check((await page.locator("h1").textContent()).includes("サイレンス"), "Japanese after switching");
  check((await page.getAttribute("html", "lang")) === "ja", "html lang is ja");
  await shot("silences-ja");
  await page.goto(base + "/alerts");
  check((await page.locator(".badge.silenced").count()) >= 1, "the silenced alert shows as silenced");
  await shot("alerts-ja");
  await page.locator("details.menu summary").click();
  await page.getByRole("button", { name: "English" }).click();
  await page.waitForLoadState();
  check((await page.locator("h1").first().textContent()).includes("Alerts"), "English again");

  // Keyboard: the skip link is the first stop and moves focus to the content.
  await page.keyboard.press("Tab");
  check(await page.evaluate(() => document.activeElement.classList.contains("skip")), "skip link first in tab order");

  // Nothing may be wider than the viewport (no sideways scrolling on a phone).
  const wider = await overflow(page);
  check(wider <= 0, `page wider than the viewport by ${wider}px`);

  // Signing out ends the session: the console asks for a sign-in again.
  await page.locator("details.menu summary").click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login$/);
  await page.goto(base + "/silences");
  await page.waitForURL(/\/login\?next=/);

  check(problems.length === 0, problems.join("; "));
  await context.close();
}

main(async (browser) => {
  for (const vp of viewports) {
    await run(browser, vp);
    console.log(`ok: ${vp.name} ${vp.width}x${vp.height}`);
  }
});
