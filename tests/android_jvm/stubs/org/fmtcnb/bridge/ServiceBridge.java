package org.fmtcnb.bridge;

import android.content.Context;
import fmtcstub.Calls;

/** Stub of the class python-for-android generates for {@code services = Bridge:...}: start and stop. */
public class ServiceBridge extends DataSyncService {
    public static void start(Context context, String pythonServiceArgument) {
        Calls.record("ServiceBridge.start argument=" + pythonServiceArgument);
    }

    public static void stop(Context context) {
        Calls.record("ServiceBridge.stop");
    }
}
