package android.provider;

/** Stub of android.provider.Settings: the battery-optimisation request action (value as on Android). */
public final class Settings {
    public static final String ACTION_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS =
            "android.settings.REQUEST_IGNORE_BATTERY_OPTIMIZATIONS";
}
