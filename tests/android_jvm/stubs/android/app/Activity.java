package android.app;

import android.content.ContextWrapper;
import fmtcstub.Calls;

/** Stub of android.app.Activity: runtime permission requests. */
public class Activity extends ContextWrapper {
    public Activity() {
        super(null);
    }

    public final void requestPermissions(String[] permissions, int requestCode) {
        Calls.record("Activity.requestPermissions " + String.join(",", permissions) + " code=" + requestCode);
    }

    public boolean isFinishing() {
        return Boolean.getBoolean("stub.finishing");
    }
}
