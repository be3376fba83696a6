import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { repoPath } from '../support/repo.js';

interface PrinterColumn { name: string; jsonPath: string; priority?: number }
interface CrdVersion {
  name: string; served: boolean; storage: boolean;
  subresources?: { status?: object };
  additionalPrinterColumns?: PrinterColumn[];
  schema?: { openAPIV3Schema?: { properties?: Record<string, unknown> } };
}
interface Crd {
  apiVersion: string; kind: string; metadata: { name: string };
  spec: { group: string; scope: string; names: { kind: string; plural: string; shortNames?: string[] }; versions: CrdVersion[] };
}

describe('crds/clusterconnect.yaml', () => {
  const crd = parse(readFileSync(repoPath('crds/clusterconnect.yaml'), 'utf8')) as Crd;
  const v1alpha1 = crd.spec.versions.find((v) => v.name === 'v1alpha1');

  it('is a namespaced ClusterConnect CRD named <plural>.<group>', () => {
    expect(crd.kind).to.equal('CustomResourceDefinition');
    expect(crd.spec.scope).to.equal('Namespaced');
    expect(crd.spec.names.kind).to.equal('ClusterConnect');
    expect(crd.metadata.name).to.equal(`${crd.spec.names.plural}.${crd.spec.group}`);
    expect(crd.spec.names.shortNames).to.be.an('array').that.is.not.empty;
  });

  it('serves and stores v1alpha1 with a status subresource and a schema', () => {
    expect(v1alpha1, 'v1alpha1 version').to.exist;
    expect(v1alpha1!.served && v1alpha1!.storage).to.equal(true);
    expect(v1alpha1!.subresources?.status).to.deep.equal({});
    expect(v1alpha1!.schema?.openAPIV3Schema?.properties).to.include.keys('spec', 'status');
  });

  it('shows CLUSTER, RELAY, AGENTS, READY and AGE, with reason and message only in -o wide', () => {
    const columns = v1alpha1!.additionalPrinterColumns ?? [];
    const normal = columns.filter((c) => !c.priority).map((c) => c.name.toUpperCase());
    const wide = columns.filter((c) => c.priority === 1).map((c) => c.name.toUpperCase());
    expect(normal).to.deep.equal(['CLUSTER', 'RELAY', 'AGENTS', 'READY', 'AGE']);
    expect(wide).to.deep.equal(['REASON', 'MESSAGE']);
  });
});
