package android.app;

import android.content.Context;
import android.content.Intent;

/** Stub of android.app.PendingIntent (flag values as on Android). */
public final class PendingIntent {
    public static final int FLAG_IMMUTABLE = 67108864;
    public static final int FLAG_UPDATE_CURRENT = 134217728;

    private PendingIntent() {}

    public static PendingIntent getActivity(Context context, int requestCode, Intent intent, int flags) {
        return new PendingIntent();
    }
}
