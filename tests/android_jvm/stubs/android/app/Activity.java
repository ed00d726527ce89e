package android.app;

import android.content.Context;
import fmtcstub.Calls;

/** Stub of android.app.Activity: runtime permission requests. */
public class Activity extends Context {
    public final void requestPermissions(String[] permissions, int requestCode) {
        Calls.record("Activity.requestPermissions " + String.join(",", permissions) + " code=" + requestCode);
    }

    public boolean isFinishing() {
        return Boolean.getBoolean("stub.finishing");
    }
}
