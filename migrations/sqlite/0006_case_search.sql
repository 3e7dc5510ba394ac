-- What the console's case search looks in: the case number and the names on the case (children,
-- their aliases, companions), lower case, kept with each version. Cases saved before this column
-- existed search their whole current document until they next change.
ALTER TABLE cases ADD COLUMN search_text TEXT;
UPDATE cases SET search_text = LOWER(case_number || ' ' || (SELECT v.document FROM case_versions v
    WHERE v.case_id = cases.id AND v.version = cases.current_version));
