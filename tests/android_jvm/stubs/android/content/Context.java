package android.content;

import android.app.NotificationManager;
import android.content.pm.ApplicationInfo;
import android.content.pm.PackageManager;
import android.os.PowerManager;
import fmtcstub.Calls;

/** Stub of android.content.Context: system services, package name, permission checks, activity starts. */
public class Context {
    public static final String NOTIFICATION_SERVICE = "notification";
    public static final String POWER_SERVICE = "power";

    private static final NotificationManager NOTIFICATIONS = new NotificationManager();
    private static final PowerManager POWER = new PowerManager();

    public Object getSystemService(String name) {
        Calls.record("Context.getSystemService " + name);
        if (NOTIFICATION_SERVICE.equals(name)) {
            return NOTIFICATIONS;
        }
        if (POWER_SERVICE.equals(name)) {
            return POWER;
        }
        return null;
    }

    public String getPackageName() {
        return System.getProperty("stub.package", "org.fmtcnb.bridge");
    }

    public ApplicationInfo getApplicationInfo() {
        return new ApplicationInfo();
    }

    public int checkSelfPermission(String permission) {
        return Calls.isGranted(permission) ? PackageManager.PERMISSION_GRANTED : PackageManager.PERMISSION_DENIED;
    }

    public void startActivity(Intent intent) {
        Calls.record("Context.startActivity action=" + intent.getAction() + " data=" + intent.getData());
    }
}
