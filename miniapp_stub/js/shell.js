// The frame every role page shares: title bar, bottom tabs, signing in (password for staff,
// the hub's SSO ticket for residents), the role check, and the hash router.

import { Session, config } from "./api.js";
import { getTicket } from "./bridge.js";
import { busy, field, h, mount, notice, router } from "./ui.js";

function frame(title) {
  const who = h("span.who");
  const signOut = h("button.hidden", { type: "button" }, "退出");
  const view = h("main#view");
  const tabs = h("nav.tabs.hidden");
  document.body.replaceChildren(h("header.bar", h("h1", title), who, signOut), view, tabs);
  return { who, signOut, view, tabs };
}

const EXPIRED = "gridhub.expired";

/** A session that lapsed while the page was open: say so on the next sign-in form. */
function lapsed() {
  try {
    const flag = sessionStorage.getItem(EXPIRED);
    sessionStorage.removeItem(EXPIRED);
    return Boolean(flag);
  } catch { return false; }
}

function staffSignIn(session, view, role, roleLabel, settings, refusal) {
  return new Promise((resolve) => {
    const username = h("input", { name: "username", autocomplete: "username", required: true });
    const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
    const message = h("div", refusal ? notice(refusal, "error") : null);
    const submit = h("button.primary", { type: "submit" }, "登录");
    const form = h("form.card", {
      onsubmit: (event) => {
        event.preventDefault();
        busy(submit, async () => {
          mount(message);
          if (!username.value.trim() || !password.value) {
            mount(message, notice(!username.value.trim() ? "请输入用户名" : "请输入密码", "error"));
            return;
          }
          try {
            await session.signIn(username.value.trim(), password.value);
            resolve();
          } catch (error) {
            mount(message, notice(error.message, "error"));
          }
        });
      },
    }, h("h2", `${roleLabel}登录`), ...field("用户名", username, { required: true }),
    ...field("密码", password, { required: true }), message, submit);
    const hint = settings.demo && settings.demo_accounts
      ? notice(`演示账号：${role === "grid_worker" ? "gridworker" : role}，密码 ${settings.demo_accounts.password}`)
      : null;
    const back = h("a.back", { href: "index.html" }, "‹ 返回角色选择");
    mount(view, form, hint, back);
  });
}

/**
 * Start a role page. `role` is the role the account must hold; `tabs` are [{hash, label}];
 * `routes` map a hash's first part to a view function (ctx, ...args) rendering into ctx.view.
 */
export async function start({ role, roleLabel, title, tabs, routes, badges, resident = false }) {
  const { who, signOut, view, tabs: nav } = frame(title);
  let settings;
  try {
    settings = await config();
  } catch (error) {
    mount(view, notice(`无法连接服务器：${error.message}`, "error"));
    return;
  }
  const session = new Session(role);
  let me = null;
  let refusal = lapsed() ? "登录已过期，请重新登录" : null;
  let expired = 0;
  while (!me) {
    if (!session.signedIn) {
      if (resident) {
        mount(view, notice("正在通过爱山东账号登录…"));
        try {
          await session.exchange(await getTicket());
        } catch (error) {
          mount(view, notice(error.message, "error"));
          return;
        }
      } else {
        await staffSignIn(session, view, role, roleLabel, settings, refusal);
      }
    }
    try {
      me = await session.get("/me");
    } catch (error) {
      expired += 1;
      if (error.status === 401 && expired < 3) {  // expired, not refreshable: sign in again
        refusal = "登录已过期，请重新登录";
        continue;
      }
      mount(view, notice(error.message, "error"));
      return;
    }
    if (me.roles.includes(role)) break;
    me = null;
    await session.signOut();
    refusal = `该账号不是${roleLabel}，请换一个账号登录`;
    if (resident) {
      mount(view, notice(refusal, "error"));
      return;
    }
  }
  who.textContent = me.name;
  signOut.classList.remove("hidden");
  signOut.addEventListener("click", async () => {
    await session.signOut();
    navigator.serviceWorker?.controller?.postMessage("forget");  // the kept answers were this user's
    location.hash = "";
    location.reload();
  });

  const buttons = tabs.map((tab) => h("button", { type: "button", dataset: { hash: tab.hash },
    onclick: () => { location.hash = tab.hash; } }, tab.label));
  mount(nav, buttons);
  nav.classList.remove("hidden");
  const ctx = {
    session, me, view, settings,
    badge(hash, count) {
      const button = buttons.find((b) => b.dataset.hash === hash);
      if (!button) return;
      button.querySelector(".badge")?.remove();
      button.setAttribute("aria-label", count > 0 ? `${button.dataset.label}（${count}）` : button.dataset.label);
      if (count > 0) button.append(h("span.badge", { "aria-hidden": "true" }, String(count > 99 ? "99+" : count)));
    },
    /** Recount the tabs' badges (after an action, on coming back to the page). */
    async refreshBadges() {
      if (!badges) return;
      try {
        for (const [hash, count] of Object.entries(await badges(ctx))) ctx.badge(hash, count);
      } catch { /* the badges can wait for the next refresh */ }
    },
  };
  for (const [i, b] of buttons.entries()) b.dataset.label = tabs[i].label;
  const bound = Object.fromEntries(Object.entries(routes).map(([name, fn]) => [name, (...args) => {
    const current = name || tabs[0].hash;
    for (const b of buttons) {
      b.classList.toggle("active", b.dataset.hash === current);
      if (b.dataset.hash === current) b.setAttribute("aria-current", "page"); else b.removeAttribute("aria-current");
    }
    return fn(ctx, ...args);
  }]));
  const refresh = router(bound, bound[""]);
  ctx.refreshBadges();
  // Back on the page (another app, another tab, the phone woken): counts and lists are read
  // again; a page with a form being filled in is left as it is.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    ctx.refreshBadges();
    if (!view.querySelector("form")) refresh();
  });
  // A session that lapsed and could not be refreshed: back to signing in, told why.
  window.addEventListener("gridhub:expired", () => {
    try { sessionStorage.setItem(EXPIRED, "1"); } catch { /* told without it */ }
    location.reload();
  }, { once: true });
  return ctx;
}
