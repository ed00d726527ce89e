package org.kivy.android;

import java.io.File;

/** Stub of python-for-android's PythonUtil: no native libraries to load on a desktop JVM. */
public class PythonUtil {
    public static void loadLibraries(File filesDir, File libsDir) {}
}
