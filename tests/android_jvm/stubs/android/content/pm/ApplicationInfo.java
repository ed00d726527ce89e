package android.content.pm;

/** Stub of android.content.pm.ApplicationInfo: only the launcher icon resource id. */
public class ApplicationInfo {
    public int icon = 0x7f010000;
}
