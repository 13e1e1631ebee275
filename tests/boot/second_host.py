"""A second embedded libvirt, in its own process: the migration target of the flow tests.

libvirt opens one embedded QEMU driver per process, so the target host runs
here, started by `harness.SecondHost`. It reads one JSON request per line on
stdin, `{"xml": ...}`, defines the domain, starts it paused (as a migration
target waits for its memory), asks QEMU for its status and answers one JSON
line: `{"state", "reason", "qemuStatus", "liveXml", "stages"}` or `{"error"}`.
Then it destroys and undefines the domain, while the caller goes on.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from harness import EmbeddedQemu, Stopwatch, libvirt, libvirt_qemu


def start_paused(driver: EmbeddedQemu, dom: Any) -> dict[str, Any]:
    watch = Stopwatch()
    try:
        dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED)
        watch.lap("start")
        state, reason = dom.state()
        reply = libvirt_qemu.qemuMonitorCommand(dom, '{"execute": "query-status"}', 0)
        live = dom.XMLDesc(0)
        watch.lap("check")
    except libvirt.libvirtError as err:
        return {"error": f"{err}\n--- QEMU log ---\n{driver.qemu_log(dom.name())}"}
    status = json.loads(reply)["return"]["status"]
    return {"state": state, "reason": reason, "qemuStatus": status, "liveXml": live, "stages": watch.stages}


def remove(dom: Any) -> None:
    if dom.isActive():
        dom.destroy()
    dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)


def main(root: str) -> int:
    driver = EmbeddedQemu(Path(root))
    try:
        for line in sys.stdin:
            try:
                dom = driver.conn.defineXML(json.loads(line)["xml"])
            except libvirt.libvirtError as err:
                print(json.dumps({"error": str(err)}), flush=True)
                continue
            try:
                print(json.dumps(start_paused(driver, dom)), flush=True)
            finally:
                remove(dom)  # libvirt polls the killed QEMU for 0.2 s: the caller need not wait
    finally:
        driver.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
