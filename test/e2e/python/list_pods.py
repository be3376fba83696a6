"""A second real client through the tunnel: the Python `kubernetes` package (Debian's python3-kubernetes)
lists pods with the same kubeconfig kubectl uses. Prints the pods as JSON lines: namespace/name."""
import json
import sys

import yaml
from kubernetes import client, config


def main(kubeconfig_path: str) -> None:
    configuration = client.Configuration()
    config.load_kube_config(config_file=kubeconfig_path, client_configuration=configuration)
    with open(kubeconfig_path, encoding="utf-8") as f:
        kubeconfig = yaml.safe_load(f)
    # Debian's client (22.x) predates `tls-server-name` in kubeconfigs: verify the certificate against that same name.
    server_name = kubeconfig["clusters"][0]["cluster"].get("tls-server-name")
    if server_name:
        configuration.assert_hostname = server_name
    api = client.CoreV1Api(client.ApiClient(configuration))
    for pod in api.list_pod_for_all_namespaces().items:
        print(json.dumps(f"{pod.metadata.namespace}/{pod.metadata.name}"))


if __name__ == "__main__":
    main(sys.argv[1])
