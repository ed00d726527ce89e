package android.os;

import fmtcstub.AndroidSystem;

/** Stub of android.os.Process: killing one's own process ends this JVM at once, as a process death would. */
public class Process {
    public static final int myPid() {
        return (int) ProcessHandle.current().pid();
    }

    public static final void killProcess(int pid) {
        AndroidSystem.get().killProcess("Process.killProcess(" + (pid == myPid() ? "myPid" : pid) + ")");
    }
}
