#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Ansible module of the terok_setup role: terok's readiness gate on a host.

One call of `terok-setup run --yes --json` (or, in check mode, `terok-setup
check --json`, which changes nothing), read back into Ansible's terms:
`changed` from the report, a failure with the failing step's own message,
a warning for each step only a person can finish. A module rather than
`command` + `changed_when`/`failed_when`: check mode needs a different
command, the API key must reach stdin without ever being logged, and the
report's failures and warnings read as one message each.
"""

from __future__ import annotations

import json
import shutil
import subprocess

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: terok_setup
short_description: Prepare a workstation for terok with Terok Setup
description:
  - Runs C(terok-setup run --yes --json), or C(terok-setup check --json) in check mode.
  - Reports changed from the run's report and fails with the failing step's message.
options:
  executable: {type: str, default: terok-setup, description: The terok-setup command (a name on PATH or a full path).}
  agent: {type: str, description: Agent to prepare (terok-setup --provider).}
  base_image: {type: str, description: Base image of the agent images.}
  family: {type: str, choices: [deb, rpm], description: Package family of the base image.}
  credential_set: {type: str, description: Credential set to use.}
  passphrase_tier: {type: str, choices: [systemd-creds, keyring, kernel-keyring], description: Where a new vault passphrase is kept.}
  recovery_key_file: {type: path, description: Where a new vault recovery key is written (0600); it must not exist yet.}
  api_key: {type: str, no_log: true, description: API key of the agent, stored when the credentials step asks for one.}
  timeout: {type: int, default: 3600, description: Seconds before terok-setup is stopped.}
"""

# What terok-setup's exit codes mean besides its readiness verdict (0 ready, 3 not ready, 4 downgrade).
EXIT_USAGE = 2
EXIT_DOWNGRADE = 4


def settings_args(p):
    args = []
    for option, key in (("--provider", "agent"), ("--base", "base_image"), ("--family", "family"), ("--credential-set", "credential_set")):
        if p[key]:
            args += [option, p[key]]
    return args


def summary(step):
    """A step's line in the module's result: no readiness details, never a secret."""
    keep = ("id", "title", "outcome", "changed", "reason", "message", "command")
    return {k: step[k] for k in keep if k in step}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            executable=dict(type="str", default="terok-setup"),
            agent=dict(type="str"),
            base_image=dict(type="str"),
            family=dict(type="str", choices=["deb", "rpm"]),
            credential_set=dict(type="str"),
            passphrase_tier=dict(type="str", choices=["systemd-creds", "keyring", "kernel-keyring"]),
            recovery_key_file=dict(type="path"),
            api_key=dict(type="str", no_log=True),
            timeout=dict(type="int", default=3600),
        ),
        supports_check_mode=True,
    )
    p = module.params
    exe = shutil.which(p["executable"])
    if not exe:
        module.fail_json(msg="%s was not found on this host: install the Terok Setup package (role variable terok_setup_package) or set terok_setup_executable" % p["executable"])

    if module.check_mode:
        argv = [exe, "check", "--json"] + settings_args(p)
    else:
        argv = [exe, "run", "--yes", "--json"] + settings_args(p)
        if p["passphrase_tier"]:
            argv += ["--passphrase-tier", p["passphrase_tier"]]
        if p["recovery_key_file"]:
            argv += ["--recovery-key-file", p["recovery_key_file"]]
        if p["api_key"]:
            argv += ["--api-key-stdin"]
    rc, stdout, stderr = run(module, argv, p["api_key"] or "", p["timeout"])
    stderr_tail = stderr.strip().splitlines()[-20:]
    try:
        report = json.loads(stdout)
    except ValueError:
        why = "refused its arguments" if rc == EXIT_USAGE else "printed no report"
        module.fail_json(msg="terok-setup %s (exit %d): %s" % (why, rc, " ".join(stderr_tail[-3:]) or "no output"), rc=rc, stderr_lines=stderr_tail)

    if module.check_mode:
        check_mode_result(module, report, rc, bool(module.params["api_key"]))
    run_result(module, report, rc, stderr_tail)


def run(module, argv, stdin, timeout):
    """terok-setup with a deadline: on expiry SIGTERM first, so it cancels what it started and says so."""
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(stdin.encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        module.fail_json(msg="terok-setup did not finish within %d s and was stopped (role variable terok_setup_timeout)" % timeout, cmd=argv[:3])
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def check_mode_result(module, report, rc, have_api_key):
    """check --json is a readiness report: what a run would do, nothing done."""
    unmet = [s for s in report["steps"] if not s["result"]["ok"]]
    # The credentials fix asks for a key: without api_key a run leaves that step to a person.
    would_fix = [s["id"] for s in unmet if s.get("walkFixes") and (s["id"] != "credentials" or have_api_key)]
    stale = report["setup"]["verdict"] in ("first_run", "stale_after_update", "stamp_corrupt")
    module.exit_json(
        changed=bool(would_fix) or stale,
        ready=report["verdict"]["ready"],
        exit_code=rc,
        would_fix=would_fix,
        unmet=[s["id"] for s in unmet],
        reasons=report["verdict"]["reasons"],
    )


def run_result(module, report, rc, stderr_tail):
    steps = report["steps"]
    result = dict(
        changed=report["changed"],
        ready=report["ready"],
        exit_code=report["exitCode"],
        steps=[summary(s) for s in steps],
        needs_user=report["needsUser"],
        reasons=(report["after"] or report["before"])["verdict"]["reasons"],
        recovery_key_file=(report["recoveryKey"] or {}).get("file") if (report["recoveryKey"] or {}).get("state") == "written" else None,
    )
    for s in steps:
        if s["outcome"] == "needs_user":
            module.warn("%s: %s%s" % (s["title"], s["message"], " (run: %s)" % s["command"] if s.get("command") else ""))
    if (report["recoveryKey"] or {}).get("state") == "pending":
        module.warn(report["recoveryKey"]["message"])
    failed = [s for s in steps if s["outcome"] == "failed"]
    if report["error"]:
        e = report["error"]
        module.fail_json(msg="terok-setup: %s%s" % (e["message"], " " + e["hint"] if e.get("hint") else ""), stderr_lines=stderr_tail, **result)
    if failed:
        first = failed[0]
        msg = "; ".join("%s: %s" % (s["title"], s["message"]) for s in failed)
        module.fail_json(msg=msg, failed_steps=[s["id"] for s in failed], command_tail=first.get("commandTail", []), **result)
    if rc == EXIT_DOWNGRADE:
        module.fail_json(msg="terok-setup refused: this host's setup was made by a newer terok (exit 4). " + " ".join(result["reasons"]), **result)
    if not report["ready"]:
        module.warn("not ready: " + "; ".join(result["reasons"]))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
