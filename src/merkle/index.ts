export {emptyRoot, hashChildren, hashLeaf, HASH_SIZE} from './rfc6962.js'
export {MerkleTree} from './tree.js'
export {ProofError, rootFromInclusionProof, verifyConsistency, verifyInclusion} from './verify.js'
