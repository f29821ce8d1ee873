-- A turn answered while the session store could not be read: the model saw only what this
-- machine held of the call. 0 for turns kept before this version.
ALTER TABLE turns ADD COLUMN without_history INTEGER NOT NULL DEFAULT 0;
