package org.kivy.android;

import android.app.Activity;

/** Stub of python-for-android's PythonActivity: the visible activity is published in mActivity. */
public class PythonActivity extends Activity {
    public static PythonActivity mActivity = null;

    public PythonActivity() {
        mActivity = this;
    }
}
