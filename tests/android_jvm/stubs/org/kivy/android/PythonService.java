package org.kivy.android;

import android.app.Service;

/** Stub of python-for-android's PythonService: the running instance is published in mService. */
public class PythonService extends Service {
    public static PythonService mService = null;

    public PythonService() {
        mService = this;
    }

    /** The id of the service's foreground notification (python-for-android numbers services from 1). */
    protected int getServiceId() {
        return 1;
    }
}
