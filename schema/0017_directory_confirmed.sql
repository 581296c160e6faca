-- The directory as an Open Referral HSDS 3.0 publisher and importer (issue 20, decision 0018).
-- Still no data about a person: programmes, organisations, and when a coordinator last vouched for an entry.

-- When one of the programme's coordinators last confirmed its directory entry is current: HSDS `assured_date`.
ALTER TABLE programmes ADD COLUMN directory_confirmed_at timestamptz;
GRANT UPDATE (directory_confirmed_at) ON programmes TO koppel_app;

-- Imported entries keep the id they have at their publisher, so a second import of the same file finds them again.
-- `hsds_status` is the publisher's own status; Koppel's `status` stays a hub-admin's decision (decision 0018).
ALTER TABLE programmes
    ADD COLUMN hsds_id uuid UNIQUE,
    ADD COLUMN hsds_status text CHECK (hsds_status IN ('active', 'inactive', 'defunct', 'temporarily closed')),
    ADD CHECK ((hsds_id IS NULL) = (hsds_status IS NULL));
ALTER TABLE organisations
    ADD COLUMN hsds_id uuid UNIQUE,
    -- HSDS requires an organisation's description; Koppel's own organisations have none until someone writes one.
    ADD COLUMN description text,
    ADD COLUMN updated_at timestamptz;
UPDATE organisations SET updated_at = created_at;
ALTER TABLE organisations ALTER COLUMN updated_at SET NOT NULL, ALTER COLUMN updated_at SET DEFAULT public.koppel_now();

-- Imports write through these two functions only, owned by the NOLOGIN role koppel_directory (bootstrap.sql), so the
-- app role gets no general right to insert programmes or to rename them: only rows that came from an import (hsds_id
-- set) are ever changed here, and from the server only for a hub-admin (the access policy decides first; this is the
-- second lock). The command line, connected as the owner, calls them too.
CREATE SCHEMA directory_import AUTHORIZATION koppel_directory;
REVOKE ALL ON SCHEMA directory_import FROM PUBLIC;
GRANT USAGE ON SCHEMA directory_import TO koppel_app;
GRANT SELECT, INSERT ON organisations, programmes TO koppel_directory;
GRANT UPDATE (name, website, description, updated_at) ON organisations TO koppel_directory;
GRANT UPDATE (name, operator_id, status, hsds_status, description_nl, eligibility_nl, application_process_nl, minimum_age,
              maximum_age, languages, website, updated_at) ON programmes TO koppel_directory;
GRANT SELECT, INSERT, DELETE ON programme_service_areas TO koppel_directory;
-- Who is a hub-admin: the acting organisation's roles only, as row-level security shows them to anyone.
GRANT SELECT ON user_roles TO koppel_directory;
GRANT EXECUTE ON FUNCTION acting_organisation() TO koppel_directory;

CREATE FUNCTION directory_import.require_importer() RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, public
AS $$
BEGIN
    -- The command line connects as the owner; the server as koppel_app, acting for a user.
    IF session_user = 'koppel_app' AND NOT EXISTS (
        SELECT FROM public.user_roles r
        WHERE r.user_id = nullif(current_setting('koppel.user_id', true), '')::uuid AND r.role = 'hub-admin')
    THEN
        RAISE EXCEPTION 'only a hub-admin imports the directory' USING ERRCODE = '42501';
    END IF;
END
$$;

CREATE FUNCTION directory_import.save_organisation(
    p_hsds_id uuid, p_slug text, p_name text, p_description text, p_website text, p_country text
) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_id uuid;
BEGIN
    PERFORM directory_import.require_importer();
    INSERT INTO public.organisations AS o (slug, name, kinds, country, website, hsds_id, description)
    VALUES (p_slug, p_name, ARRAY['operator'], p_country, p_website, p_hsds_id, p_description)
    ON CONFLICT (hsds_id) DO UPDATE
        SET name = excluded.name, website = excluded.website, description = excluded.description, updated_at = public.koppel_now()
    RETURNING o.id INTO v_id;
    RETURN v_id;
END
$$;

-- p_areas: [{"name": …, "extent": "municipality" | "region" | "country"}], in order.
CREATE FUNCTION directory_import.save_service(
    p_hsds_id uuid, p_slug text, p_name text, p_operator uuid, p_status text, p_hsds_status text,
    p_description text, p_eligibility text, p_application_process text, p_minimum_age integer, p_maximum_age integer,
    p_languages text[], p_website text, p_areas jsonb
) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_id uuid;
BEGIN
    PERFORM directory_import.require_importer();
    IF NOT EXISTS (SELECT FROM public.organisations WHERE id = p_operator AND hsds_id IS NOT NULL) THEN
        RAISE EXCEPTION 'an imported service is run by an imported organisation' USING ERRCODE = '23503';
    END IF;
    INSERT INTO public.programmes AS p (
        slug, name, operator_id, status, hsds_id, hsds_status, description_nl, eligibility_nl, application_process_nl,
        minimum_age, maximum_age, target_groups, languages, website)
    VALUES (p_slug, p_name, p_operator, p_status, p_hsds_id, p_hsds_status, p_description, p_eligibility, p_application_process,
            p_minimum_age, p_maximum_age, '{}', p_languages, p_website)
    ON CONFLICT (hsds_id) DO UPDATE
        SET name = excluded.name, operator_id = excluded.operator_id, status = excluded.status, hsds_status = excluded.hsds_status,
            description_nl = excluded.description_nl, eligibility_nl = excluded.eligibility_nl,
            application_process_nl = excluded.application_process_nl, minimum_age = excluded.minimum_age,
            maximum_age = excluded.maximum_age, languages = excluded.languages, website = excluded.website,
            updated_at = public.koppel_now()
    RETURNING p.id INTO v_id;
    DELETE FROM public.programme_service_areas WHERE programme_id = v_id;
    INSERT INTO public.programme_service_areas (programme_id, position, name, extent)
    SELECT v_id, a.ordinality - 1, a.value ->> 'name', a.value ->> 'extent'
    FROM jsonb_array_elements(p_areas) WITH ORDINALITY AS a (value, ordinality);
    RETURN v_id;
END
$$;

ALTER FUNCTION directory_import.require_importer() OWNER TO koppel_directory;
ALTER FUNCTION directory_import.save_organisation(uuid, text, text, text, text, text) OWNER TO koppel_directory;
ALTER FUNCTION directory_import.save_service(uuid, text, text, uuid, text, text, text, text, text, integer, integer, text[], text, jsonb)
    OWNER TO koppel_directory;
REVOKE ALL ON FUNCTION directory_import.require_importer(), directory_import.save_organisation(uuid, text, text, text, text, text),
    directory_import.save_service(uuid, text, text, uuid, text, text, text, text, text, integer, integer, text[], text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION directory_import.require_importer(), directory_import.save_organisation(uuid, text, text, text, text, text),
    directory_import.save_service(uuid, text, text, uuid, text, text, text, text, text, integer, integer, text[], text, jsonb) TO koppel_app;
