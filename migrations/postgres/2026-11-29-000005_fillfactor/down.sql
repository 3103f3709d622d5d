ALTER TABLE users RESET (fillfactor);
ALTER TABLE groups RESET (fillfactor);
