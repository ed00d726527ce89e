package android.os;

import fmtcstub.Calls;

/** Stub of android.os.PowerManager: wake locks and the battery-optimisation exemption (-Dstub.ignoring). */
public class PowerManager {
    public static final int PARTIAL_WAKE_LOCK = 1;

    public WakeLock newWakeLock(int levelAndFlags, String tag) {
        Calls.record("PowerManager.newWakeLock level=" + levelAndFlags + " tag=" + tag);
        return new WakeLock();
    }

    public boolean isIgnoringBatteryOptimizations(String packageName) {
        Calls.record("PowerManager.isIgnoringBatteryOptimizations " + packageName);
        return Boolean.getBoolean("stub.ignoring");
    }

    /** Stub of android.os.PowerManager.WakeLock. */
    public static class WakeLock {
        private boolean held;
        private boolean referenceCounted = true;

        public void setReferenceCounted(boolean value) {
            referenceCounted = value;
            Calls.record("WakeLock.setReferenceCounted " + value);
        }

        public void acquire() {
            held = true;
            Calls.record("WakeLock.acquire");
        }

        public void acquire(long timeoutMillis) {
            held = true;
            Calls.record("WakeLock.acquire timeout=" + timeoutMillis);
        }

        public void release() {
            if (!held) {
                throw new RuntimeException("WakeLock under-locked");
            }
            held = false;
            Calls.record("WakeLock.release");
        }

        public boolean isHeld() {
            return held;
        }
    }
}
