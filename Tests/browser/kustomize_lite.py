"""Renders deploy/kubernetes's kustomizations without kustomize, for a machine that has no kubectl: exactly the
features they use (resources, namespace, images, strategic-merge patches by kind and name) and nothing more. A
kustomization with any other field is refused rather than half-rendered; where kubectl is present, the tests hold
this rendering equal to `kubectl kustomize`, so the two cannot drift apart unseen."""
import os

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
CLUSTER_SCOPED = {"Namespace"}
# Lists that a strategic-merge patch merges item by item in the built-in kinds, by these keys (the Kubernetes API's
# patchMergeKey). Any other list is replaced whole, as it is for custom resources, which have no merge keys.
MERGE_KEYS = {"containers": "name", "initContainers": "name", "env": "name", "volumes": "name",
              "volumeMounts": "mountPath", "ports": "containerPort"}
BUILT_IN_GROUPS = {"v1", "apps", "batch", "policy", "autoscaling", "networking.k8s.io"}


def render(folder):
    """The documents of the kustomization in `folder`, transformed as kustomize would."""
    with open(os.path.join(folder, "kustomization.yaml"), encoding="utf-8") as file:
        kustomization = yaml.safe_load(file)
    unknown = set(kustomization) - SUPPORTED
    if unknown:
        raise ValueError(f"{folder}: kustomize_lite does not render {sorted(unknown)}")
    documents = []
    for resource in kustomization.get("resources", []):
        path = os.path.join(folder, resource)
        if os.path.isdir(path):
            documents += render(path)
        else:
            with open(path, encoding="utf-8") as file:
                documents += [document for document in yaml.safe_load_all(file) if document]
    for patch in kustomization.get("patches", []):
        if set(patch) != {"path"}:
            raise ValueError(f"{folder}: only patches given by path are rendered, not {patch}")
        with open(os.path.join(folder, patch["path"]), encoding="utf-8") as file:
            apply_patch(documents, yaml.safe_load(file))
    for image in kustomization.get("images", []):
        for document in documents:
            for container in containers(document):
                container["image"] = retagged(container["image"], image)
    if "namespace" in kustomization:
        for document in documents:
            if document["kind"] not in CLUSTER_SCOPED:
                document["metadata"]["namespace"] = kustomization["namespace"]
    return documents


def apply_patch(documents, patch):
    targets = [document for document in documents
               if document["kind"] == patch["kind"] and document["metadata"]["name"] == patch["metadata"]["name"]]
    if len(targets) != 1:
        raise ValueError(f"the patch for {patch['kind']}/{patch['metadata']['name']} matches {len(targets)} documents")
    built_in = patch["apiVersion"].split("/")[0] in BUILT_IN_GROUPS
    merged = merge(targets[0], patch, built_in)
    targets[0].clear()
    targets[0].update(merged)


def merge(original, patch, built_in):
    if isinstance(original, dict) and isinstance(patch, dict):
        result = dict(original)
        for key, value in patch.items():
            if key.startswith("$"):
                raise ValueError(f"patch directive {key} is not rendered")
            if value is None:
                result.pop(key, None)
            elif key in original and built_in and key in MERGE_KEYS and isinstance(value, list):
                result[key] = merge_list(original[key], value, MERGE_KEYS[key])
            elif key in original:
                result[key] = merge(original[key], value, built_in)
            else:
                result[key] = value
        return result
    return patch


def merge_list(original, patch, key):
    """kustomize's order: the patch's items first (merged with the item of the same key), then the rest."""
    by_key = {item[key]: item for item in original}
    patched = [merge(by_key[item[key]], item, True) if item[key] in by_key else item for item in patch]
    named = {item[key] for item in patch}
    return patched + [item for item in original if item[key] not in named]


def containers(document):
    """The containers and init containers of a Deployment's or a Job's pods."""
    pod = document.get("spec", {}).get("template", {}).get("spec", {})
    return pod.get("initContainers", []) + pod.get("containers", [])


def retagged(reference, image):
    """`reference` with kustomize's `images` entry applied, if the entry names its image."""
    name, tag, digest = split_image(reference)
    if name != image["name"]:
        return reference
    name = image.get("newName", name)
    if "digest" in image:
        return f"{name}@{image['digest']}"
    if "newTag" in image:
        return f"{name}:{image['newTag']}"
    return name + (f"@{digest}" if digest else f":{tag}" if tag else "")


def split_image(reference):
    name, _, digest = reference.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1:], digest
    return name, "", digest
