// The status page in a real browser: a responder publishes an incident and posts an update
// in the console (in English), and the public page, read without signing in, shows the
// update in Japanese and in English, at phone and desktop sizes. Run by the Rust test
// `console_browser` against a started hinomi; screenshots go to $ARTIFACTS.
//
// Environment: HINOMI_URL, ARTIFACTS, CHROMIUM, HINOMI_USER and HINOMI_PASSWORD (a
// responder), HINOMI_COMPONENT (the name of a component the page has).
"use strict";

const { base, viewports, check, watch, shot: save, overflow, signedIn, main } = require("./common");

const user = process.env.HINOMI_USER;
const password = process.env.HINOMI_PASSWORD;
const component = process.env.HINOMI_COMPONENT;

const first = { ja: "受注できない事象を調査しています。", en: "We are investigating failed orders." };
const update = { ja: "データベースの接続数の上限が原因と判明しました。", en: "The cause is the database's connection limit." };

async function publish(browser) {
  const { context, page, problems } = await signedIn(browser, "/status-page", user, password);
  const shot = (name) => save(page, "status", name);
  await page.locator("#i-name").fill("受注システムの障害");
  await page.locator("#i-impact").selectOption("major");
  await page.locator("#i-body-ja").fill(first.ja);
  await page.locator("#i-body-en").fill(first.en);
  await shot("console-publish");
  await page.getByRole("button", { name: "Publish an incident", exact: true }).click();
  await page.waitForURL(/\/status-page\/incidents\/[0-9a-f]+$/);
  check((await page.locator("h1").textContent()).includes("受注システムの障害"), "the incident's console page");

  await page.locator("#u-status").selectOption("identified");
  await page.locator("#u-body-ja").fill(update.ja);
  await page.locator("#u-body-en").fill(update.en);
  await page.locator("fieldset.component-states select").first().selectOption("major_outage");
  await page.getByRole("button", { name: "Post update", exact: true }).click();
  await page.waitForURL(/\/status-page\/incidents\/[0-9a-f]+$/);
  check(await page.getByText(update.en).count() > 0, "the update is listed in the console");
  await shot("console-updated");
  check(problems.length === 0, "no errors in the console: " + problems.join("; "));
  await context.close();
  console.log("ok: published and updated in the console");
}

async function read(browser, vp, lang, want) {
  // A browser that never signed in, speaking the other language: `?lang=` decides.
  const context = await browser.newContext({
    viewport: { width: vp.width, height: vp.height },
    extraHTTPHeaders: { "accept-language": lang === "ja" ? "en" : "ja" },
  });
  const page = await context.newPage();
  const problems = watch(page, []);
  await page.goto(`${base}/status?lang=${lang}`);
  check((await page.getAttribute("html", "lang")) === lang, `the public page in ${lang}`);
  for (const text of want) {
    check(await page.getByText(text).count() > 0, `the public page (${lang}) shows ${JSON.stringify(text)}`);
  }
  check(await page.getByText(component).count() > 0, "the component is listed");
  check((await overflow(page)) <= 0, `no sideways scrolling at ${vp.name} size`);
  await save(page, "status", `public-${lang}-${vp.name}`);
  check(problems.length === 0, "no errors on the public page: " + problems.join("; "));
  await context.close();
  console.log(`ok: public page in ${lang} at ${vp.name} size`);
}

main(async (browser) => {
  await publish(browser);
  for (const vp of viewports) {
    await read(browser, vp, "ja", [update.ja, first.ja, "原因特定", "停止"]);
    await read(browser, vp, "en", [update.en, first.en, "Identified", "Major outage"]);
  }
});
