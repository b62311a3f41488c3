// On call in a real browser, in Japanese: an admin builds a schedule through the console's
// forms (a weekly rotation of two, weekday business hours that skip Japanese public
// holidays, an override), asks who is on call and why, and reads the next shifts; the
// person paged acknowledges one page from the console and another from its message's
// one-time link, which loading alone does not use. Screenshots at phone and desktop sizes
// go to $ARTIFACTS. Run by the Rust test `console_browser`, which sets up the people, the
// escalation policy and the pages.
//
// Environment: HINOMI_URL, ARTIFACTS, CHROMIUM (default /usr/bin/chromium), HINOMI_TOKEN
// (an owner's API token, to read pages' states), HINOMI_ADMIN and HINOMI_ADMIN_PASSWORD
// (who builds the schedule), HINOMI_RESPONDER and HINOMI_RESPONDER_PASSWORD (who is paged),
// HINOMI_PAGE_TITLE (the page acknowledged in the console), HINOMI_LINK_PATH and
// HINOMI_LINK_PAGE (another page's acknowledge link, `/a/<token>`, and that page's id).
"use strict";

const { base, viewports, check, watch, shot, overflow, signIn, api, main } = require("./common");

const env = (name) => {
  const v = process.env[name];
  check(v, name + " is set");
  return v;
};
const admin = env("HINOMI_ADMIN");
const adminPassword = env("HINOMI_ADMIN_PASSWORD");
const responder = env("HINOMI_RESPONDER");
const responderPassword = env("HINOMI_RESPONDER_PASSWORD");
const pageTitle = env("HINOMI_PAGE_TITLE");
const linkPath = env("HINOMI_LINK_PATH");
const linkPage = env("HINOMI_LINK_PAGE");

const login = { username: "ユーザー名", password: "パスワード", submit: "ログイン" };
const [phone, desktop] = viewports;

async function japaneseContext(browser, vp) {
  return browser.newContext({
    viewport: { width: vp.width, height: vp.height },
    locale: "ja-JP",
    timezoneId: "Asia/Tokyo",
    extraHTTPHeaders: { "accept-language": "ja,en;q=0.5" },
  });
}

/// Screenshots `page` as it is at phone and at desktop size, checking that nothing is wider
/// than the phone's screen; leaves the page at desktop size.
async function atBothSizes(page, name) {
  for (const vp of [phone, desktop]) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    await shot(page, vp.name, name);
    const wider = await overflow(page);
    check(wider <= 0, `${name} at ${vp.name} size is wider than the viewport by ${wider}px`);
  }
}

/// A day in Tokyo, `days` after today there, as YYYY-MM-DD.
function tokyoDate(days) {
  return new Date(Date.now() + 9 * 3600e3 + days * 86400e3).toISOString().slice(0, 10);
}

/// The input whose id is `id` (ids such as `layers[0].name` need no escaping this way).
const byId = (page, id) => page.locator(`[id="${id}"]`);

async function buildSchedule(browser) {
  const context = await japaneseContext(browser, desktop);
  const page = await context.newPage();
  const problems = watch(page, []);

  await page.goto(base + "/schedules");
  await page.waitForURL(/\/login\?next=%2Fschedules$/);
  await signIn(page, admin, adminPassword, login);
  await page.waitForURL(/\/schedules$/);
  check((await page.getAttribute("html", "lang")) === "ja", "the console is in Japanese");
  check((await page.locator("h1").textContent()).includes("オンコールスケジュール"), "the schedules page");

  // The admin reads times in Tokyo: chosen in the settings menu.
  await page.locator("details.menu summary").click();
  await page.locator("#tz").fill("Asia/Tokyo");
  await page.locator("details.menu form", { has: page.locator("#tz") }).getByRole("button").click();
  // Filling set the input's value, not its attribute: the page the server sends back does.
  await page.locator('#tz[value="Asia/Tokyo"]').waitFor({ state: "attached" });
  await page.getByRole("link", { name: "スケジュールを作成" }).click();
  await page.waitForURL(/\/schedules\/new$/);
  check((await page.locator("#time_zone").inputValue()) === "Asia/Tokyo", "the form starts in the reader's zone");

  // A weekly rotation of two, handing off at 10:00.
  await page.locator("#name").fill("DB 一次対応");
  await page.locator("#description").fill("データベースの当番");
  await byId(page, "layers[0].name").fill("週次");
  await byId(page, "layers[0].participants").fill("aki\nben");
  await byId(page, "layers[0].shift_length.count").fill("1");
  await byId(page, "layers[0].shift_length.unit").selectOption("weeks");
  await byId(page, "layers[0].handoff").fill("10:00");
  const start = await byId(page, "layers[0].start").inputValue();
  check(/T10:00$/.test(start), "the rotation starts this week at the handoff: " + start);
  await atBothSizes(page, "schedule-new");
  await page.locator("form.schedule-form button.primary").click();
  await page.waitForURL(/\/schedules\/[0-9a-f-]{8,}$/);
  const location = new URL(page.url()).pathname;
  check((await page.locator("h1").textContent()).includes("DB 一次対応"), "the new schedule's page");

  // Weekday business hours that skip Japanese public holidays, in the spare layer.
  const edit = page.locator("#edit");
  await byId(page, "layers[1].name").fill("平日日中");
  await byId(page, "layers[1].participants").fill("dai");
  await byId(page, "layers[1].shift_length.count").fill("1");
  await byId(page, "layers[1].shift_length.unit").selectOption("days");
  await byId(page, "layers[1].start").fill(start.replace(/T.*/, "T09:00"));
  await byId(page, "layers[1].handoff").fill("09:00");
  for (const day of ["mon", "tue", "wed", "thu", "fri"]) {
    await edit.locator(`input[name="layers[1].restriction.windows[0].days"][value="${day}"]`).check();
  }
  await byId(page, "layers[1].restriction.windows[0].start").fill("09:00");
  await byId(page, "layers[1].restriction.windows[0].end").fill("18:00");
  await edit.locator('input[name="layers[1].restriction.skip_japanese_holidays"]').check();
  await edit.locator("form.schedule-form button.primary").click();
  const business = page.locator("ol.layers > li", { hasText: "平日日中" });
  await business.waitFor();
  const described = await business.textContent();
  check(described.includes("日本の祝日"), "the layer says it skips Japanese holidays: " + described);

  // An override: fumi covers tomorrow night for ben.
  const night = tokyoDate(1);
  await page.locator("#o-user").selectOption("fumi");
  await page.locator("#o-start").fill(`${night}T00:00`);
  await page.locator("#o-end").fill(`${night}T09:00`);
  await page.locator("#o-note").fill("ben は病欠");
  await page.locator("form.override-form button.primary").click();
  await page.locator("#overrides ul.rows > li", { hasText: "ben は病欠" }).waitFor();

  // Who is on call, and why: by the override, then (a night later) by the weekly layer
  // while the business-hours layer is skipped.
  const ask = async (at) => {
    await page.locator("#at").fill(at);
    await page.getByRole("button", { name: "調べる" }).click();
    await page.waitForURL((u) => u.pathname === location && u.searchParams.get("at") === at);
    return {
      who: (await page.locator("#who .on-call").textContent()).trim(),
      why: (await page.locator("#who ul.why").textContent()).trim(),
    };
  };
  let answer = await ask(`${night}T03:00`);
  check(answer.who === "fumi", "fumi is on call by the override: " + answer.who);
  check(answer.why.includes("fumi がオーバーライドで当番です"), "why names the override: " + answer.why);
  check(answer.why.includes("メモ: ben は病欠"), "why gives the override's note: " + answer.why);
  await atBothSizes(page, "schedule-who-override");
  answer = await ask(`${tokyoDate(2)}T03:00`);
  check(["aki", "ben"].includes(answer.who), "the weekly rotation answers: " + answer.who);
  check(answer.why.includes(`${answer.who} がレイヤー「週次」のローテーション`), "why names the layer: " + answer.why);
  check(answer.why.includes("レイヤー「平日日中」は飛ばされました"), "why says the business hours were skipped: " + answer.why);

  // The next 14 days: the rotation, the business hours and the override.
  const shifts = page.locator("table.shifts tbody tr");
  check((await shifts.count()) > 0, "the preview shows shifts");
  for (const source of ["レイヤー「週次」", "レイヤー「平日日中」", "オーバーライド"]) {
    check((await shifts.filter({ hasText: source }).count()) > 0, "a shift from " + source);
  }
  check((await shifts.filter({ hasText: "fumi" }).count()) > 0, "fumi's shift");
  await atBothSizes(page, "schedule");

  const stored = await api("/api/v1" + location);
  check(stored.time_zone === "Asia/Tokyo" && stored.layers.length === 2, "stored as built: " + JSON.stringify(stored));
  check(problems.length === 0, problems.join("; "));
  await context.close();
}

async function acknowledgeInConsole(browser) {
  const context = await japaneseContext(browser, desktop);
  const page = await context.newPage();
  const problems = watch(page, []);

  await page.goto(base + "/pages");
  await page.waitForURL(/\/login\?next=%2Fpages$/);
  await signIn(page, responder, responderPassword, login);
  await page.waitForURL(/\/pages$/);
  const row = page.locator("ul.rows > li", { hasText: pageTitle });
  check((await row.locator(".badge").textContent()).trim() === "呼び出し中", "the page is listed as triggered");
  await atBothSizes(page, "pages");

  await row.getByRole("link", { name: pageTitle }).click();
  await page.waitForURL(/\/pages\/[0-9a-f-]{8,}$/);
  const id = new URL(page.url()).pathname.split("/").pop();
  check((await page.locator("h1 .badge").textContent()).trim() === "呼び出し中", "the page shows triggered");
  await page.getByRole("button", { name: "応答 (ACK)" }).click();
  await page.locator("h1 .badge.acknowledged").waitFor();
  check((await page.locator("h1 .badge").textContent()).trim() === "対応中", "the page shows acknowledged");
  check((await page.getByRole("button", { name: "応答 (ACK)" }).count()) === 0, "no second acknowledge button");
  const ack = page.locator("ol.timeline > li", { hasText: "が応答" });
  const said = (await ack.textContent()).trim();
  check(said.includes(`${responder} が応答 (コンソール)`), "the timeline says who and how: " + said);
  const kv = await page.locator("dl.kv").textContent();
  check(kv.includes(`${responder} (コンソール)`), "the summary says who and how: " + kv);
  const message = page.locator("#h-messages + ul.rows > li").first();
  const kind = (await message.locator(".chip").textContent()).trim();
  const sent = (await message.locator(".badge").textContent()).trim();
  check(kind === "メール" && (await message.textContent()).includes(responder), "the email to the responder: " + kind);
  check(["送信待ち", "送信済み", "送信失敗", "取り消し"].includes(sent), "the message's state in Japanese: " + sent);
  await atBothSizes(page, "page-acknowledged");

  const stored = await api(`/api/v1/pages/${id}`);
  check(stored.state === "acknowledged" && stored.acknowledged_by === responder && stored.acknowledged_how === "console",
    "acknowledged from the console: " + JSON.stringify(stored));
  check(problems.length === 0, problems.join("; "));
  await context.close();
}

async function acknowledgeByLink(browser) {
  // A fresh browser, signed in nowhere, as a mail app opens the link on a phone.
  const context = await japaneseContext(browser, phone);
  const page = await context.newPage();
  const problems = watch(page, []);
  const state = async () => (await api(`/api/v1/pages/${linkPage}`)).state;

  const answer = await page.goto(base + linkPath);
  check(answer.status() === 200, "the link's page answered " + answer.status());
  const button = page.getByRole("button", { name: "応答 (ACK)" });
  await button.waitFor();
  check((await page.locator("main").textContent()).includes("この呼び出しに応答しますか"), "the link asks first");
  await atBothSizes(page, "link");
  check((await state()) === "triggered", "loading the link acknowledges nothing");

  await button.click();
  const done = page.locator(".banner.ok");
  await done.waitFor();
  check((await done.textContent()).includes(`${responder} として応答しました`), "the link says who acknowledged");
  await atBothSizes(page, "link-used");
  const stored = await api(`/api/v1/pages/${linkPage}`);
  check(stored.state === "acknowledged" && stored.acknowledged_by === responder && stored.acknowledged_how === "link",
    "acknowledged by the link: " + JSON.stringify(stored));
  const again = await fetch(base + linkPath, { method: "POST" });
  check(again.status === 410, "a used link is gone: " + again.status);
  check(problems.length === 0, problems.join("; "));
  await context.close();
}

main(async (browser) => {
  await buildSchedule(browser);
  console.log("ok: schedule built and asked");
  await acknowledgeInConsole(browser);
  console.log("ok: page acknowledged in the console");
  await acknowledgeByLink(browser);
  console.log("ok: page acknowledged by its link");
});
