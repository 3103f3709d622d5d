// The admin console's script: every change goes to the JSON API (/admin/api) with the
// session's CSRF token; a refusal shows the API's `detail` in the open dialog's `.error`;
// success reloads the page (with a notice in #flash) or shows the result in place.
// Plain JavaScript, no dependency, no inline handler (the pages' CSP forbids them).
"use strict";

(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const NOTICE_KEY = "scim-console-notice";

  function csrf() {
    const m = $('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  class ApiError extends Error {
    constructor(message, status, body) {
      super(message);
      this.status = status;
      this.body = body;
    }
  }

  // Call the JSON API. `body` is JSON unless `contentType` is given (then sent as is).
  async function api(method, url, body, contentType) {
    const headers = { Accept: "application/json", "X-CSRF-Token": csrf() };
    let payload;
    if (body !== undefined) {
      headers["Content-Type"] = contentType || "application/json";
      payload = contentType ? body : JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
    } catch (e) {
      throw new ApiError("The service could not be reached: " + e.message, 0, null);
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (_) {
        data = null;
      }
    }
    if (!res.ok) {
      let detail = data && data.detail ? data.detail : res.status + " " + res.statusText;
      if (res.status === 401) detail += " (sign in again)";
      throw new ApiError(detail, res.status, data);
    }
    return data;
  }

  function showError(container, message) {
    const el = container && $(".error", container);
    if (el) {
      el.textContent = message;
      el.hidden = false;
    } else {
      flash(message, true);
    }
  }

  function clearError(container) {
    const el = container && $(".error", container);
    if (el) el.textContent = "";
  }

  function flash(message, isError) {
    const area = $("#flash");
    if (!area) return;
    const p = document.createElement("p");
    p.className = isError ? "notice error-notice" : "notice";
    if (isError) p.setAttribute("role", "alert");
    p.textContent = message;
    area.replaceChildren(p);
  }

  function reloadWith(notice) {
    try {
      if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
    } catch (_) {
      /* storage disabled: reload without the notice */
    }
    window.location.reload();
  }

  // Run `work` with the form's submit buttons disabled; errors go to the form's `.error`.
  async function busy(form, work) {
    const buttons = $$("button", form);
    buttons.forEach((b) => (b.disabled = true));
    clearError(form);
    try {
      await work();
    } catch (e) {
      showError(form, e.message);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  function checked(form, name) {
    return $$('input[name="' + name + '"]', form).filter((i) => i.checked);
  }

  // Groups chosen in a form: live groups by name, built-in roles without a group as roles.
  function chosenGroups(form) {
    const boxes = checked(form, "groups");
    return {
      groups: boxes.filter((b) => b.dataset.kind !== "role").map((b) => b.value),
      roles: boxes.filter((b) => b.dataset.kind === "role").map((b) => b.value),
    };
  }

  function numberOrNull(input) {
    const v = input.value.trim();
    if (v === "") return null;
    const n = Number(v);
    return Number.isInteger(n) ? n : v;
  }

  function openDialog(id) {
    const d = document.getElementById(id);
    if (!d) return null;
    clearError(d);
    if (!d.open) d.showModal();
    return d;
  }

  // ----- every page -----------------------------------------------------------------

  function initCommon() {
    try {
      const notice = sessionStorage.getItem(NOTICE_KEY);
      if (notice) {
        sessionStorage.removeItem(NOTICE_KEY);
        flash(notice, false);
      }
    } catch (_) {
      /* no storage */
    }
    $$("[data-open]").forEach((b) =>
      b.addEventListener("click", () => openDialog(b.dataset.open))
    );
    $$("[data-close]").forEach((b) =>
      b.addEventListener("click", () => {
        const d = document.getElementById(b.dataset.close);
        if (d) d.close();
      })
    );
    const signOut = $("#sign-out");
    if (signOut) {
      signOut.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        try {
          await fetch("/admin/logout", {
            method: "POST",
            headers: { "X-CSRF-Token": csrf() },
            credentials: "same-origin",
            redirect: "manual",
          });
        } finally {
          window.location.assign("/admin");
        }
      });
    }
  }

  // ----- Users page -----------------------------------------------------------------

  function initCreate() {
    const form = $("#create-form");
    if (!form) return;
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      busy(form, async () => {
        const body = {
          email: form.elements.email.value.trim(),
        };
        for (const k of ["userName", "givenName", "familyName"]) {
          const v = form.elements[k].value.trim();
          if (v) body[k] = v;
        }
        const g = chosenGroups(form);
        body.groups = g.groups;
        if (g.roles.length) body.roles = g.roles;
        const user = await api("POST", "/admin/api/users", body);
        reloadWith("User " + (user.email || user.userName) + " created.");
      });
    });
  }

  async function fillDrawer(form, id) {
    form.dataset.loaded = "false";
    form.dataset.userId = id;
    const u = await api("GET", "/admin/api/users/" + encodeURIComponent(id));
    const el = form.elements;
    el.userName.value = u.userName || "";
    el.givenName.value = u.givenName || "";
    el.familyName.value = u.familyName || "";
    el.email.value = u.email || "";
    const managed = $("#edit-managed-by");
    if (managed) managed.textContent = u.managedBy ? u.managedBy.clientName : "the console";
    const mine = (u.groups || []).map((g) => g.displayName.toLowerCase());
    $$('input[name="groups"]', form).forEach((b) => {
      b.checked = b.dataset.kind !== "role" && mine.includes(b.value.toLowerCase());
    });
    el.status.value = u.status || "Offline";
    el.csrUser.checked = !!u.csrUser;
    el.voiceCalls.checked = !!u.voiceCalls;
    el.maxChats.value = u.maxChats == null ? "" : u.maxChats;
    el.maxEmails.value = u.maxEmails == null ? "" : u.maxEmails;
    el.mobilePhone.value = u.mobilePhone || "";
    el.version.value = u.version == null ? "" : u.version;
    // Skills the user holds but the catalog no longer lists stay selectable.
    $$("label.extra-skill", form).forEach((l) => l.remove());
    const has = (u.skills || []).map((s) => String(s).toLowerCase());
    const boxes = $$('input[name="skills"]', form);
    boxes.forEach((b) => (b.checked = has.includes(b.value.toLowerCase())));
    const known = boxes.map((b) => b.value.toLowerCase());
    const fieldset = $("#edit-skills", form);
    (u.skills || [])
      .filter((s) => !known.includes(String(s).toLowerCase()))
      .forEach((s) => {
        const label = document.createElement("label");
        label.className = "extra-skill";
        const input = document.createElement("input");
        input.type = "checkbox";
        input.name = "skills";
        input.value = s;
        input.checked = true;
        label.append(input, " " + s + " (not in the catalog)");
        fieldset.append(label);
      });
    form.dataset.loaded = "true";
  }

  function initEdit() {
    const drawer = $("#edit-drawer");
    const form = $("#edit-form");
    if (!drawer || !form) return;
    $$("button.edit").forEach((b) =>
      b.addEventListener("click", async () => {
        openDialog("edit-drawer");
        $$("button", form).forEach((x) => (x.disabled = true));
        try {
          await fillDrawer(form, b.dataset.userId);
        } catch (e) {
          showError(form, e.message);
        } finally {
          $$("button", form).forEach((x) => (x.disabled = false));
        }
      })
    );
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (form.dataset.loaded !== "true") return;
      busy(form, async () => {
        const el = form.elements;
        const g = chosenGroups(form);
        const body = {
          groups: g.groups,
          status: el.status.value,
          csrUser: el.csrUser.checked,
          skills: checked(form, "skills").map((b) => b.value),
          voiceCalls: el.voiceCalls.checked,
          maxChats: numberOrNull(el.maxChats),
          maxEmails: numberOrNull(el.maxEmails),
          mobilePhone: el.mobilePhone.value.trim(),
        };
        if (g.roles.length) body.roles = g.roles;
        if (el.version.value !== "") body.version = Number(el.version.value);
        const u = await api("PATCH", "/admin/api/users/" + encodeURIComponent(form.dataset.userId), body);
        reloadWith("User " + (u.email || u.userName) + " saved.");
      });
    });
  }

  function initDelete() {
    const form = $("#delete-form");
    if (!form) return;
    $$("button.delete").forEach((b) =>
      b.addEventListener("click", () => {
        form.dataset.userId = b.dataset.userId;
        $("#delete-email").textContent = b.dataset.email || b.dataset.username || "";
        $("#delete-confirm-email").value = "";
        openDialog("delete-dialog");
        $("#delete-confirm-email").focus();
      })
    );
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      busy(form, async () => {
        const typed = $("#delete-confirm-email").value.trim();
        await api("DELETE", "/admin/api/users/" + encodeURIComponent(form.dataset.userId), {
          confirmEmail: typed,
        });
        reloadWith("User " + typed + " de-provisioned.");
      });
    });
  }

  function initBulk() {
    const form = $("#bulk-form");
    if (!form) return;
    const tbody = $("#bulk-results tbody");
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      busy(form, async () => {
        const file = $("#bulk-file").files[0];
        if (!file) throw new Error("Choose a CSV file first.");
        const text = await file.text();
        const out = await api("POST", "/admin/api/users/bulk", text, "text/csv");
        tbody.replaceChildren();
        for (const r of out.results || []) {
          const tr = document.createElement("tr");
          const ok = r.status === "created";
          tr.className = ok ? "row-ok" : "row-error";
          tr.dataset.line = r.line;
          const message = ok ? "created" : (r.error && r.error.detail) || "failed";
          for (const v of [r.line, r.email || "", message]) {
            const td = document.createElement("td");
            td.textContent = v;
            tr.append(td);
          }
          tbody.append(tr);
        }
        $("#bulk-summary").textContent =
          out.created + " created, " + out.failed + " failed.";
      });
    });
    const done = $("#bulk-done");
    if (done) done.addEventListener("click", () => window.location.reload());
  }

  // ----- SCIM clients, skills, role mappings ---------------------------------------

  function initClients() {
    const form = $("#issue-client");
    if (form) {
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        busy(form, async () => {
          const out = await api("POST", "/admin/api/clients", {
            name: form.elements.name.value.trim(),
          });
          $("#new-token").textContent = out.token;
          $("#new-token-box").hidden = false;
          form.reset();
        });
      });
    }
    const done = $("#new-token-done");
    if (done) done.addEventListener("click", () => window.location.reload());
    $$("button.revoke").forEach((b) =>
      b.addEventListener("click", async () => {
        b.disabled = true;
        try {
          await api("DELETE", "/admin/api/clients/" + encodeURIComponent(b.dataset.clientId));
          reloadWith("Client revoked: its token no longer works.");
        } catch (e) {
          flash(e.message, true);
          b.disabled = false;
        }
      })
    );
  }

  function initSkills() {
    const form = $("#add-skill");
    if (form) {
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        busy(form, async () => {
          const name = form.elements.name.value.trim();
          await api("POST", "/admin/api/skills", { name });
          reloadWith("Skill " + name + " added.");
        });
      });
    }
    $$("#skills button.remove").forEach((b) =>
      b.addEventListener("click", async () => {
        b.disabled = true;
        try {
          await api("DELETE", "/admin/api/skills/" + encodeURIComponent(b.dataset.skill));
          reloadWith("Skill " + b.dataset.skill + " removed.");
        } catch (e) {
          flash(e.message, true);
          b.disabled = false;
        }
      })
    );
  }

  function initRoles() {
    const form = $("#set-role-mapping");
    if (form) {
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        busy(form, async () => {
          const group = form.elements.group.value.trim();
          const role = form.elements.role.value;
          await api("PUT", "/admin/api/role-mappings", { group, role });
          reloadWith("Group " + group + " now grants " + role + ".");
        });
      });
    }
    $$("#role-mappings button.remove").forEach((b) =>
      b.addEventListener("click", async () => {
        b.disabled = true;
        try {
          await api("DELETE", "/admin/api/role-mappings/" + encodeURIComponent(b.dataset.groupKey));
          reloadWith("Mapping removed.");
        } catch (e) {
          flash(e.message, true);
          b.disabled = false;
        }
      })
    );
  }

  function init() {
    initCommon();
    initCreate();
    initEdit();
    initDelete();
    initBulk();
    initClients();
    initSkills();
    initRoles();
    document.documentElement.dataset.consoleReady = "true";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
