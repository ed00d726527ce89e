package android.os;

/** Stub of android.os.Build; the device is chosen with -Dstub.sdk, -Dstub.release, -Dstub.vendor, -Dstub.model. */
public class Build {
    public static final String MANUFACTURER = System.getProperty("stub.vendor", "Google");
    public static final String MODEL = System.getProperty("stub.model", "Pixel 8");

    /** Stub of android.os.Build.VERSION. */
    public static class VERSION {
        public static final int SDK_INT = Integer.getInteger("stub.sdk", 35);
        public static final String RELEASE = System.getProperty("stub.release", "15");
    }

    /** Stub of android.os.Build.VERSION_CODES (values as on Android). */
    public static class VERSION_CODES {
        public static final int O = 26;
    }
}
