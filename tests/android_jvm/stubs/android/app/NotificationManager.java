package android.app;

import fmtcstub.AndroidSystem;
import fmtcstub.Calls;

/** Stub of android.app.NotificationManager: importance values as on Android; POST_NOTIFICATIONS applies. */
public class NotificationManager {
    public static final int IMPORTANCE_NONE = 0;
    public static final int IMPORTANCE_MIN = 1;
    public static final int IMPORTANCE_LOW = 2;
    public static final int IMPORTANCE_DEFAULT = 3;

    private NotificationManager() {}

    public void createNotificationChannel(NotificationChannel channel) {
        Calls.record("NotificationManager.createNotificationChannel " + channel);
    }

    public void notify(int id, Notification notification) {
        AndroidSystem.get().show(id, notification, "notify");
    }

    public void cancel(int id) {
        Calls.record("NotificationManager.cancel id=" + id);
    }
}
