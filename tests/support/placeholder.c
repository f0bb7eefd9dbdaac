int tdsupport_placeholder_(void); int tdsupport_placeholder_(void) { return 0; }
