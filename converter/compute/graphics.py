"""VNC graphics and the video device (KubeVirt compute/graphics.go)."""

from __future__ import annotations

from vmi_converter.converter.common.arch import AMD64, ARM64, S390X
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import VIRT_PRIVATE_DIR, devices_of
from vmi_converter.converter.common.vmi import JSON, devices, dig, uid
from vmi_converter.converter.domain.model import Domain, Graphics, GraphicsListen, Video, VideoModel

_HEADS = 1
_VRAM_KIB = 16384


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    if devices(vmi).get("autoattachGraphicsDevice") is False:
        return
    # The minimal QEMU used for cross-arch emulation may lack video devices;
    # the serial console stays available.
    if ctx.allow_cross_arch_emulation:
        return
    dom_devices = devices_of(domain)
    dom_devices.graphics = [
        Graphics(
            type="vnc",
            listen=GraphicsListen(type="socket", socket=f"{VIRT_PRIVATE_DIR}/{uid(vmi)}/virt-vnc"),
        )
    ]
    model = _video_model(vmi, ctx)
    if model is not None:
        dom_devices.videos = [Video(model=model)]


def _video_model(vmi: JSON, ctx: Context) -> VideoModel | None:
    video = devices(vmi).get("video")
    if isinstance(video, dict):
        return VideoModel(type=str(video.get("type") or ""), heads=_HEADS, vram=_VRAM_KIB)
    if ctx.arch.name == AMD64:
        if ctx.bochs_for_efi_guests and _boots_efi(vmi):
            # Bochs has no vram setting.
            return VideoModel(type="bochs", heads=_HEADS)
        return VideoModel(type="vga", heads=_HEADS, vram=_VRAM_KIB)
    if ctx.arch.name in (ARM64, S390X):
        # QEMU on these arches only offers virtio-gpu as a display device.
        return VideoModel(type="virtio", heads=_HEADS)
    return None


def _boots_efi(vmi: JSON) -> bool:
    return isinstance(dig(vmi, "spec", "domain", "firmware", "bootloader", "efi"), dict)
