package android.content;

import android.app.NotificationManager;
import android.content.pm.ApplicationInfo;
import android.content.pm.PackageManager;
import android.content.res.Resources;
import android.os.PowerManager;
import fmtcstub.AndroidSystem;
import fmtcstub.Calls;
import java.io.File;

/** Stub of android.content.Context: system services, files, permissions, starting activities and services. */
public class Context {
    public static final String NOTIFICATION_SERVICE = "notification";
    public static final String POWER_SERVICE = "power";

    private static final NotificationManager NOTIFICATIONS = AndroidSystem.create(NotificationManager.class);
    private static final PowerManager POWER = AndroidSystem.create(PowerManager.class);

    public Context() {}

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

    public Context getApplicationContext() {
        return this;
    }

    public String getPackageName() {
        return System.getProperty("stub.package", "org.fmtcnb.bridge");
    }

    public ApplicationInfo getApplicationInfo() {
        return new ApplicationInfo();
    }

    public File getFilesDir() {
        return new File(System.getProperty("stub.filesDir", System.getProperty("java.io.tmpdir")));
    }

    public Resources getResources() {
        return AndroidSystem.create(Resources.class);
    }

    public int checkSelfPermission(String permission) {
        return Calls.isGranted(permission) ? PackageManager.PERMISSION_GRANTED : PackageManager.PERMISSION_DENIED;
    }

    public void startActivity(Intent intent) {
        Calls.record("Context.startActivity action=" + intent.getAction() + " data=" + intent.getData());
    }

    public ComponentName startService(Intent service) {
        Calls.record("Context.startService " + service.getComponent().getClassName());
        return AndroidSystem.get().startService(service);
    }

    public boolean stopService(Intent service) {
        Calls.record("Context.stopService " + service.getComponent().getClassName());
        return AndroidSystem.get().stopService(service);
    }
}
