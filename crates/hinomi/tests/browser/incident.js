// Incident command in a real browser: a responder declares an incident in the console,
// typing its impact (the form suggests SEV1) and naming the technical lead in the form's
// team section; the incident's page shows the severity and who holds which role (the
// declarer leading); then customer support is given from the page's role form, and shows
// in the team panel and on the timeline. The declaration form in Japanese at phone size
// has no sideways scrolling. Run by the Rust test `console_browser` against a started
// hinomi; screenshots go to $ARTIFACTS.
//
// Environment: HINOMI_URL, ARTIFACTS, CHROMIUM, HINOMI_USER and HINOMI_PASSWORD (the
// responder who declares), HINOMI_TECHNICAL_LEAD and HINOMI_CUSTOMER_SUPPORT (usernames of
// two more responders; their display names are their usernames).
"use strict";

const { base, viewports, check, watch, shot: save, overflow, signIn, signedIn, main } = require("./common");

const user = process.env.HINOMI_USER;
const password = process.env.HINOMI_PASSWORD;
const technicalLead = process.env.HINOMI_TECHNICAL_LEAD;
const customerSupport = process.env.HINOMI_CUSTOMER_SUPPORT;

/// The holders listed for the role named `role` in the incident page's team panel.
function holders(page, role) {
  return page
    .locator("section[aria-labelledby=h-team] dt", { hasText: role })
    .locator("xpath=following-sibling::dd[1]");
}

async function declareAndAssign(browser) {
  const { context, page, problems } = await signedIn(browser, "/incidents/new", user, password);
  const shot = (name) => save(page, "incident", name);

  // The impact typed suggests SEV1 (htmx asks as it is typed); the technical lead is named.
  await page.getByLabel("Title", { exact: true }).fill("Orders cannot be placed");
  await page.getByLabel("Customers affected", { exact: true }).fill("1,000");
  await page.locator("#suggestion", { hasText: "SEV1" }).waitFor();
  const lead = page.locator("#role-technical_lead");
  check(await lead.count() === 1, "the team section offers the technical lead");
  check((await page.locator("#role-incident_manager option:checked").textContent()).includes("You"),
    "the incident manager left empty is the declarer");
  await lead.selectOption(`user:${technicalLead}`);
  await shot("declare");
  await page.getByRole("button", { name: "Declare incident", exact: true }).click();
  await page.waitForURL(/\/incidents\/INC-\d+$/);

  // The incident's page: the severity suggested, the declarer leading, the lead named.
  const heading = await page.locator("h1").textContent();
  check(heading.includes("Orders cannot be placed") && heading.includes("SEV1"), `the heading tells the severity: ${heading}`);
  await holders(page, "Incident manager").locator(".holder", { hasText: user }).waitFor();
  await holders(page, "Technical lead").locator(".holder", { hasText: technicalLead }).waitFor();
  check(await holders(page, "Customer support").locator(".holder").count() === 0, "no one is customer support yet");
  await shot("declared");
  console.log("ok: declared with the technical lead named");

  // Customer support given from the page: listed in the team panel and on the timeline.
  await page.locator("#role").selectOption("customer_support");
  await page.locator("#holder").selectOption(`user:${customerSupport}`);
  await page.getByRole("button", { name: "Assign and page", exact: true }).click();
  await holders(page, "Customer support").locator(".holder", { hasText: customerSupport }).waitFor();
  await page
    .locator("#incident-timeline li", { hasText: `customer_support: ${customerSupport}` })
    .locator(".badge", { hasText: "Role assigned" })
    .waitFor();
  for (const [role, holder] of [["incident_manager", user], ["technical_lead", technicalLead]]) {
    check(await page.locator("#incident-timeline li", { hasText: `${role}: ${holder}` }).count() === 1,
      `the timeline tells ${holder} became ${role}`);
  }
  await shot("assigned");
  check(problems.length === 0, "no errors in the console: " + problems.join("; "));
  await context.close();
  console.log("ok: customer support assigned from the incident page");
}

async function formAtPhoneSize(browser) {
  const vp = viewports.find((v) => v.name === "phone");
  const context = await browser.newContext({
    viewport: { width: vp.width, height: vp.height },
    locale: "ja-JP",
    extraHTTPHeaders: { "accept-language": "ja" },
  });
  const page = await context.newPage();
  const problems = watch(page, []);
  await page.goto(base + "/incidents/new");
  await page.waitForURL(/\/login\?next=/);
  await signIn(page, user, password, { username: "ユーザー名", password: "パスワード", submit: "ログイン" });
  await page.waitForURL(/\/incidents\/new$/);
  check(await page.getByText("テクニカルリード").count() > 0, "the team section in Japanese");
  check((await overflow(page)) <= 0, "no sideways scrolling at phone size");
  await save(page, "incident", "declare-ja-phone");
  check(problems.length === 0, "no errors on the form: " + problems.join("; "));
  await context.close();
  console.log("ok: declaration form in ja at phone size");
}

main(async (browser) => {
  await declareAndAssign(browser);
  await formAtPhoneSize(browser);
});
