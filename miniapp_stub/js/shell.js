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
    mount(view, form, hint);
  });
}

/**
 * Start a role page. `role` is the role the account must hold; `tabs` are [{hash, label}];
 * `routes` map a hash's first part to a view function (ctx, ...args) rendering into ctx.view.
 */
export async function start({ role, roleLabel, title, tabs, routes, resident = false }) {
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
  let refusal = null;
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
      if (error.status === 401 && expired < 3) continue;  // expired, not refreshable: sign in again
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
  signOut.addEventListener("click", async () => { await session.signOut(); location.hash = ""; location.reload(); });

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
      if (count > 0) button.append(h("span.badge", String(count > 99 ? "99+" : count)));
    },
  };
  const bound = Object.fromEntries(Object.entries(routes).map(([name, fn]) => [name, (...args) => {
    const current = name || tabs[0].hash;
    for (const b of buttons) b.classList.toggle("active", b.dataset.hash === current);
    return fn(ctx, ...args);
  }]));
  router(bound, bound[""]);
  return ctx;
}
