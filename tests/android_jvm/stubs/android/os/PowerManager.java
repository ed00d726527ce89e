package android.os;

import fmtcstub.AndroidSystem;
import fmtcstub.Calls;

/** Stub of android.os.PowerManager: wake locks and the battery-optimisation exemption (-Dstub.ignoring). */
public final class PowerManager {
    public static final int PARTIAL_WAKE_LOCK = 1;

    private PowerManager() {}

    public WakeLock newWakeLock(int levelAndFlags, String tag) {
        Calls.record("PowerManager.newWakeLock level=" + levelAndFlags + " tag=" + tag);
        return new WakeLock();
    }

    public boolean isIgnoringBatteryOptimizations(String packageName) {
        Calls.record("PowerManager.isIgnoringBatteryOptimizations " + packageName);
        return AndroidSystem.get().isBatteryExempt();
    }

    /** Stub of android.os.PowerManager.WakeLock. */
    public final class WakeLock {
        private boolean held;

        private WakeLock() {}

        public void setReferenceCounted(boolean value) {
            Calls.record("WakeLock.setReferenceCounted " + value);
        }

        public void acquire() {
            held = true;
            AndroidSystem.get().wakeLockHeld(this, true);
            Calls.record("WakeLock.acquire");
        }

        public void release() {
            if (!held) {
                throw new RuntimeException("WakeLock under-locked");
            }
            held = false;
            AndroidSystem.get().wakeLockHeld(this, false);
            Calls.record("WakeLock.release");
        }

        public boolean isHeld() {
            return held;
        }
    }
}
