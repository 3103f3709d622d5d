-- PostgreSQL only (page fill factor for HOT updates); SQLite has no such setting.
SELECT 1;
