package android.content.pm;

/** Stub of android.content.pm.ServiceInfo: the dataSync foreground service type (value as on Android). */
public class ServiceInfo {
    public static final int FOREGROUND_SERVICE_TYPE_DATA_SYNC = 1;
}
