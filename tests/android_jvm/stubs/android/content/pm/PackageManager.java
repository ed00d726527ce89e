package android.content.pm;

/** Stub of android.content.pm.PackageManager: permission check results (values as on Android). */
public abstract class PackageManager {
    public static final int PERMISSION_GRANTED = 0;
    public static final int PERMISSION_DENIED = -1;
}
