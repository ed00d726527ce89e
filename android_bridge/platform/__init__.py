"""Platform adapters: Android (pyjnius) and virtual (desktop, simulated lifecycle)."""

from android_bridge.platform.base import DeviceInfo, Notification, Platform

__all__ = ["DeviceInfo", "Notification", "Platform"]
