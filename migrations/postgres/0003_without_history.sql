-- A turn answered while the session store could not be read: the model saw only what this
-- machine held of the call. false for turns kept before this version.
ALTER TABLE turns ADD COLUMN without_history BOOLEAN NOT NULL DEFAULT false;
