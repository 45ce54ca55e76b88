// One page for every role: app.html?role=resident|worker|dispatcher|handler|supervisor loads
// that role's module (each a hub entry of its own); anything else goes back to the role list.

const ROLES = { resident: "居民", worker: "网格员", dispatcher: "指挥中心", handler: "部门处置", supervisor: "督办" };
const role = new URLSearchParams(location.search).get("role");

if (Object.hasOwn(ROLES, role)) {
  document.title = `${ROLES[role]} · gridhub`;
  import(`./pages/${role}.js`);
} else {
  location.replace("index.html");
}
