int tdcerts_placeholder_(void); int tdcerts_placeholder_(void) { return 0; }
