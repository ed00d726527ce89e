package android.content.pm;

/** Stub of android.content.pm.ServiceInfo: foreground service types (values as on Android). */
public class ServiceInfo {
    public static final int FOREGROUND_SERVICE_TYPE_DATA_SYNC = 1;
    public static final int FOREGROUND_SERVICE_TYPE_SHORT_SERVICE = 2048;
}
