package org.kivy.android;

import android.app.Activity;
import fmtcstub.Calls;

/** Stub of python-for-android's webview PythonActivity: the visible activity (mActivity) and loadUrl. */
public class PythonActivity extends Activity {
    public static PythonActivity mActivity = null;

    public PythonActivity() {
        mActivity = this;
    }

    public static void loadUrl(String url) {
        Calls.record("PythonActivity.loadUrl " + url);
    }
}
