package android.content.pm;

/** Stub of android.content.pm.ApplicationInfo: the launcher icon and the native library folder. */
public class ApplicationInfo {
    public int icon = 0x7f010000;
    public String nativeLibraryDir = "/data/app/org.fmtcnb.bridge/lib/arm64";
}
