package android.app;

import android.content.Context;
import fmtcstub.Calls;

/** Stub of android.app.Service: the foreground-service calls and the Android 15 timeout callback. */
public class Service extends Context {
    public static final int STOP_FOREGROUND_REMOVE = 1;
    public static final int STOP_FOREGROUND_DETACH = 2;

    public final void startForeground(int id, Notification notification) {
        Calls.record("Service.startForeground id=" + id + " " + notification);
    }

    public final void startForeground(int id, Notification notification, int foregroundServiceType) {
        if (Boolean.getBoolean("stub.refuseForeground")) {
            throw new IllegalStateException("ForegroundServiceStartNotAllowedException: time limit already exhausted");
        }
        Calls.record("Service.startForeground id=" + id + " type=" + foregroundServiceType + " " + notification);
    }

    public final void stopForeground(boolean removeNotification) {
        Calls.record("Service.stopForeground remove=" + removeNotification);
    }

    public final void stopForeground(int flags) {
        Calls.record("Service.stopForeground flags=" + flags);
    }

    public final void stopSelf() {
        Calls.record("Service.stopSelf");
    }

    public void onTimeout(int startId) {
        Calls.record("Service.onTimeout startId=" + startId);
    }

    public void onTimeout(int startId, int fgsType) {
        Calls.record("Service.onTimeout startId=" + startId + " type=" + fgsType);
    }
}
