-- Leave a fifth of each page free in the tables that IdPs update most (PATCH active, member
-- changes bump the group's version): an UPDATE that changes no indexed column then writes the
-- new row version on the same page and touches no index (a HOT update), instead of a new row
-- elsewhere plus an entry in every index of the table. Applies to pages written from now on.
ALTER TABLE users SET (fillfactor = 80);
ALTER TABLE groups SET (fillfactor = 80);
